package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.NonFiniteCount;
import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.SafeTensorsException;
import dev.diffusion4j.io.SafeTensorsFile;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.RawTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Autoencoder weights saved by diffusers before 0.14 (still the files of several released VAEs) name the mid-block
 * attention query, key, value and proj_attn, some with 1x1-conv weights [C, C, 1, 1]; diffusers renames them to to_q,
 * to_k, to_v and to_out.0 with linear weights [C, C] when it loads them, and so does this loader. Nothing else is
 * renamed, and the renamed dict must still fit the model exactly.
 */
final class LegacyAttentionNames {
    private LegacyAttentionNames() {}

    private static final Pattern OLD = Pattern.compile("(.*\\.attentions\\.\\d+\\.)(query|key|value|proj_attn)\\.(weight|bias)");
    private static final Map<String, String> NEW = Map.of("query", "to_q", "key", "to_k", "value", "to_v", "proj_attn", "to_out.0");

    /** The current name of a file key (itself unless it is a legacy attention name). */
    static String rename(String key) {
        Matcher m = OLD.matcher(key);
        return m.matches() ? m.group(1) + NEW.get(m.group(2)) + "." + m.group(3) : key;
    }

    static boolean hasLegacyNames(Map<String, int[]> fileShapes) {
        for (String k : fileShapes.keySet()) if (OLD.matcher(k).matches()) return true;
        return false;
    }

    /** Reads one tensor of a weights file by its key in the file. */
    interface Reader {
        RawTensor read(String key) throws IOException;
    }

    /** Loads the safetensors file into the model under the current names, strictly (names, shapes, finite values). */
    static void load(Path file, Module model) throws IOException {
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            load(file, f.shapes(), f::read, model);
        }
    }

    /**
     * Loads weights whose file keys and shapes are {@code fileShapes} (any format) into the model under the current
     * names, strictly: names and shapes are checked before any tensor is read, then every value must be finite.
     */
    static void load(Path file, Map<String, int[]> fileShapes, Reader reader, Module model) throws IOException {
        LinkedHashMap<String, int[]> expected = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> expected.put(k, v.shape()));
        LinkedHashMap<String, int[]> renamed = new LinkedHashMap<>();
        Map<String, String> fileKey = new LinkedHashMap<>();
        boolean legacy = hasLegacyNames(fileShapes);
        for (var e : fileShapes.entrySet()) {
            String k = e.getKey(), now = rename(k);
            int[] shape = e.getValue();
            if (fileKey.containsKey(now))
                throw new SafeTensorsException(file, k, "names the same weight as '" + fileKey.get(now) + "' (" + now + "): a mix of old and new names");
            renamed.put(now, !now.equals(k) && shape.length == 4 ? new int[] {shape[0], shape[1]} : shape);   // 1x1 conv -> linear
            fileKey.put(now, k);
        }
        try {
            SafeTensors.checkShapes(expected, renamed);
        } catch (SafeTensorsException e) {
            throw new SafeTensorsException(file, null, e.getMessage() + (legacy ? " (legacy attention names renamed)" : ""));
        }
        LinkedHashMap<String, Tensor> state = new LinkedHashMap<>();
        for (var e : fileKey.entrySet()) {
            RawTensor raw = reader.read(e.getValue());
            NonFiniteCount bad = NonFiniteCount.of(raw);
            if (bad.any()) throw new SafeTensorsException(file, e.getValue(), "holds " + bad + " (of " + raw.numel() + "): damaged weights");
            state.put(e.getKey(), RawTensors.fromRaw(raw).reshape(renamed.get(e.getKey())));
        }
        model.loadStateDict(state, true);
    }
}
