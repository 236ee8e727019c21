package dev.diffusion4j.models.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.SafeTensorsFile;
import dev.diffusion4j.nn.RawTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The Java side of bench/clip_parity.py (scripts/gpu-clip.sh), printing one "ok ..." or "FAIL ..." line per check:
 * <pre>
 * ClipTorchParity ids VOCAB_DIR STRINGS.json IDS.json        ids equal CLIPTokenizer's, string by string
 * ClipTorchParity model MODEL_DIR DEVICE fp32|bf16            hidden states of transformers' CLIPTextModel
 * </pre>
 * MODEL_DIR is a save_pretrained folder (config.json read by {@link ClipTextConfig#read}, model.safetensors loaded by
 * name) with reference-fp32.safetensors / reference-bf16.safetensors (input_ids, last_hidden_state, pooled).
 * Bounds: f32 (TF32 off on both sides) max |a - r| within 1e-3 of max |r|; bf16 autocast within 5e-2 relative L2
 * (the two implementations round differently).
 */
public final class ClipTorchParity {
    private ClipTorchParity() {}

    /** Compares ids; returns the failure count (and prints up to 20 of them). */
    public static int ids(Path vocabDir, Path strings, Path ids) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode texts = json.readTree(Files.readAllBytes(strings)), ref = json.readTree(Files.readAllBytes(ids));
        ClipTokenizer tok = ClipTokenizer.load(vocabDir).withMaxLength(ref.get("max_length").asInt());
        int bad = 0;
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i).asText();
            int[] want = new int[ref.get("ids").get(i).size()];
            for (int j = 0; j < want.length; j++) want[j] = ref.get("ids").get(i).get(j).asInt();
            int[] got = tok.encodePadded(text);
            if (!Arrays.equals(got, want) && bad++ < 20)
                System.out.println("FAIL ids of string " + i + " " + json.writeValueAsString(text) + ": java " + Arrays.toString(trim(got, tok))
                        + " vs CLIPTokenizer " + Arrays.toString(trim(want, tok)) + " tokens " + tok.tokenize(text));
        }
        String s = "tokenizer ids vs CLIPTokenizer: " + (texts.size() - bad) + "/" + texts.size() + " strings equal";
        System.out.println((bad == 0 ? "ok " : "FAIL ") + s);
        return bad;
    }

    /** ids without the trailing padding, for messages. */
    private static int[] trim(int[] ids, ClipTokenizer tok) {
        int n = ids.length;
        while (n > 2 && ids[n - 1] == tok.padId() && ids[n - 2] == tok.padId()) n--;
        return Arrays.copyOf(ids, n);
    }

    public static boolean model(Path dir, Device device, Precision precision) throws IOException {
        ClipTextModel m = ClipTextModel.load(dir);
        m.to(device).eval();
        precision.applyMathMode();
        List<String> lines = new ArrayList<>();
        boolean ok = true;
        try (SafeTensorsFile ref = SafeTensors.open(dir.resolve("reference-" + precision.id() + ".safetensors"))) {
            Tensor ids = RawTensors.fromRaw(ref.read("input_ids"));
            ClipTextModel.Output out;
            try (var ac = precision.autocast()) {
                out = m.run(ids.to(device));
            }
            for (String name : new String[] {"last_hidden_state", "pooled"}) {
                Tensor a = name.equals("pooled") ? out.pooled() : out.lastHiddenState();
                double[] d = diff(a, RawTensors.fromRaw(ref.read(name)));
                boolean pass = precision == Precision.BF16 ? d[1] < 5e-2 : d[0] < 1e-3;
                ok &= pass;
                lines.add(String.format(Locale.ROOT, "%s CLIPTextModel %s %s (%s, %d layers, width %d, %s) on %s: max rel %.2e, rel L2 %.2e",
                        pass ? "ok" : "FAIL", dir.getFileName(), name, precision.id(), m.config().numHiddenLayers(), m.config().hiddenSize(),
                        m.config().hiddenAct(), device, d[0], d[1]));
            }
        }
        lines.forEach(System.out::println);
        return ok;
    }

    /** {max |a - r| / max |r|, ||a - r|| / ||r||}. */
    static double[] diff(Tensor actual, Tensor reference) { return dev.diffusion4j.models.TensorDiff.errors(actual, reference); }

    public static void main(String[] args) throws IOException {
        if (args.length == 4 && args[0].equals("ids")) System.exit(ids(Path.of(args[1]), Path.of(args[2]), Path.of(args[3])) == 0 ? 0 : 1);
        if (args.length == 4 && args[0].equals("model"))
            System.exit(model(Path.of(args[1]), Device.parse(args[2]), Precision.parse(args[3])) ? 0 : 1);
        System.err.println("usage: ClipTorchParity ids VOCAB_DIR STRINGS.json IDS.json | model MODEL_DIR DEVICE fp32|bf16");
        System.exit(2);
    }
}
