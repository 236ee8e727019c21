package dev.diffusion4j.nn;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.NonFiniteCount;
import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.SafeTensorsException;
import dev.diffusion4j.io.SafeTensorsFile;
import dev.diffusion4j.io.StoreType;
import dev.diffusion4j.io.torch.WeightsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * State dicts (model, optimizer, EMA) to and from safetensors files, written atomically by the io layer.
 * Checkpoints that hold several dicts in one file keep them apart with key prefixes ("model.", "ema.", "optim.").
 */
public final class StateDicts {
    private StateDicts() {}

    /** Saves every tensor in its own dtype. */
    public static void save(Path file, Map<String, Tensor> state, Map<String, String> metadata) throws IOException {
        save(file, state, metadata, null);
    }

    /** Saves with floating tensors stored as {@code floatsAs} (e.g. BF16 or F16 for a half-size export); null keeps dtypes. */
    public static void save(Path file, Map<String, Tensor> state, Map<String, String> metadata, StoreType floatsAs) throws IOException {
        LinkedHashMap<String, RawTensor> raw = new LinkedHashMap<>();
        for (var e : state.entrySet()) {
            Tensor t = e.getValue();
            boolean narrow = floatsAs != null && t.dtype().isFloating();
            raw.put(e.getKey(), narrow ? RawTensors.toRaw(t, floatsAs) : RawTensors.toRaw(t));
        }
        SafeTensors.write(file, raw, metadata);
    }

    /** Every tensor of the file as CPU tensors, in file order; a tensor holding NaN or infinite values is refused. */
    public static LinkedHashMap<String, Tensor> load(Path file) throws IOException {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (var e : SafeTensors.read(file).entrySet()) out.put(e.getKey(), RawTensors.fromRaw(requireFinite(file, e.getKey(), e.getValue())));
        return out;
    }

    /**
     * Weights a user hands over, whatever wrote them: safetensors or a PyTorch checkpoint (read by io.torch's restricted
     * reader, which never runs code from the file); {@code keyPath} picks a dict inside a checkpoint ("ema",
     * "model.state_dict"), null the whole file. Non-finite values are refused as by {@link #load}.
     */
    public static LinkedHashMap<String, Tensor> loadWeights(Path file, String keyPath) throws IOException {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (var e : WeightsFiles.read(file, keyPath).entrySet()) out.put(e.getKey(), RawTensors.fromRaw(requireFinite(file, e.getKey(), e.getValue())));
        return out;
    }

    /**
     * The tensor, if all its values are finite. Weights or optimizer state with NaN or infinities would sample black
     * images, evaluate to NaN and train on as NaN, all without an error: refuse them where they are loaded.
     */
    static RawTensor requireFinite(Path file, String name, RawTensor t) throws SafeTensorsException {
        NonFiniteCount bad = NonFiniteCount.of(t);
        if (bad.any())
            throw new SafeTensorsException(file, name, "holds " + bad + " (of " + t.numel() + "): a damaged checkpoint or a run"
                    + " that diverged; use an earlier checkpoint");
        return t;
    }

    public static void saveModel(Path file, Module model, Map<String, String> metadata) throws IOException {
        save(file, model.stateDict(), metadata);
    }

    /**
     * Loads a model's weights from a file. Names and shapes are checked against the header before any data is read
     * (a wrong file fails fast, naming the first problem); non-strict loads read only the tensors the model has.
     * Non-finite values are refused as by {@link #load}.
     */
    public static Module.LoadResult loadModel(Path file, Module model, boolean strict) throws IOException {
        LinkedHashMap<String, int[]> expected = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> expected.put(k, v.shape()));
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            Map<String, int[]> actual = f.shapes();
            try {
                if (strict) SafeTensors.checkShapes(expected, actual);
                else SafeTensors.checkShapes(common(expected, actual), common(actual, expected));
            } catch (SafeTensorsException e) {
                throw new SafeTensorsException(file, null, e.getMessage());
            }
            LinkedHashMap<String, Tensor> state = new LinkedHashMap<>();
            List<String> unexpected = new ArrayList<>();
            for (String k : actual.keySet()) {
                if (expected.containsKey(k)) state.put(k, RawTensors.fromRaw(requireFinite(file, k, f.read(k))));
                else unexpected.add(k);
            }
            Module.LoadResult r = model.loadStateDict(state, strict);
            return new Module.LoadResult(r.missing(), unexpected);
        }
    }

    /** The entries of {@code a} whose keys {@code b} also has. */
    private static Map<String, int[]> common(Map<String, int[]> a, Map<String, int[]> b) {
        LinkedHashMap<String, int[]> out = new LinkedHashMap<>();
        a.forEach((k, v) -> { if (b.containsKey(k)) out.put(k, v); });
        return out;
    }

    /**
     * The same tensors with the floating ones moved to {@code device}, for restoring optimizer, EMA and model state on
     * the device that trains; integer tensors (step counters) stay where they are.
     */
    public static LinkedHashMap<String, Tensor> floatsTo(Device device, Map<String, Tensor> state) {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.dtype().isFloating() ? v.to(device) : v));
        return out;
    }

    /** The same tensors under "prefix" + key, to store several dicts in one file. */
    public static LinkedHashMap<String, Tensor> withPrefix(String prefix, Map<String, Tensor> state) {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }

    /** The entries whose keys start with prefix, with the prefix removed. */
    public static LinkedHashMap<String, Tensor> stripPrefix(String prefix, Map<String, Tensor> state) {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((k, v) -> { if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v); });
        return out;
    }
}
