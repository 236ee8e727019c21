package dev.diffusion4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradCheck;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.SafeTensorsException;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipTextModelTest {
    /** 20 tokens, width 4, 2 heads, 5 positions. */
    static ClipTextConfig tiny(String act, int layers) {
        return new ClipTextConfig(20, 4, 8, layers, 2, 5, act, 1e-5, 4, 1, 18, 19, 0, 0, 0.02, 1);
    }

    @Test
    void quickGeluIsXTimesSigmoidOf1702XAndItsGradientChecks() {
        Tensor x = GradCheck.randn(1, 3, 5).mul(3);
        double[] xs = x.toDoubleArray(), y = Activations.quickGelu(x).toDoubleArray();
        for (int i = 0; i < xs.length; i++) assertEquals(xs[i] / (1 + Math.exp(-1.702 * xs[i])), y[i], 1e-12);
        GradCheck.check("quick_gelu", a -> Activations.quickGelu(a[0]), x);
    }

    @Test
    void causallyMaskedEncoderLayerGradientChecks() {
        for (String act : List.of("quick_gelu", "gelu")) {
            ClipEncoderLayer layer = new ClipEncoderLayer(tiny(act, 1), new Generator(3));
            layer.to(DType.F64);
            perturbNorms(layer);
            Tensor mask = CausalMask.of(3, Device.CPU).to(DType.F64);
            GradCheck.check("clip encoder layer " + act, a -> layer.forward(a[0], mask), GradCheck.randn(2, 2, 3, 4));
        }
    }

    /** Against softmax(q k^T / sqrt(d) + causal) v written out in loops, per head. */
    @Test
    void attentionIsCausalSelfAttention() {
        ClipAttention attn = new ClipAttention(tiny("quick_gelu", 1), new Generator(5));
        attn.to(DType.F64);
        Map<String, Tensor> w = attn.stateDict();
        Tensor x = GradCheck.randn(7, 1, 3, 4);
        double[] q = lin(x, w, "q_proj"), k = lin(x, w, "k_proj"), v = lin(x, w, "v_proj");
        double[] o = new double[12];
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < 3; i++) {
                double[] s = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j <= i; j++) {
                    for (int c = 0; c < 2; c++) s[j] += q[i * 4 + h * 2 + c] * k[j * 4 + h * 2 + c] / Math.sqrt(2);
                    max = Math.max(max, s[j]);
                }
                for (int j = 0; j <= i; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
                for (int j = 0; j <= i; j++) for (int c = 0; c < 2; c++) o[i * 4 + h * 2 + c] += s[j] / sum * v[j * 4 + h * 2 + c];
            }
        double[] want = lin(Tensor.of(o, 1, 3, 4), w, "out_proj");
        assertArrayEquals(want, attn.forward(x, CausalMask.of(3, Device.CPU).to(DType.F64)).toDoubleArray(), 1e-12);
    }

    private static double[] lin(Tensor x, Map<String, Tensor> w, String name) {
        return x.matmul(w.get(name + ".weight").mT()).add(w.get(name + ".bias")).toDoubleArray();
    }

    /** A later token never changes an earlier position's output. */
    @Test
    void laterTokensDoNotReachEarlierPositions() {
        ClipTextModel m = new ClipTextModel(tiny("quick_gelu", 2), new Generator(1));
        try (var g = GradMode.off()) {
            double[] a = m.forward(Tensor.ofLongs(new long[] {18, 3, 7, 19}, 1, 4)).toDoubleArray();
            double[] b = m.forward(Tensor.ofLongs(new long[] {18, 3, 7, 5}, 1, 4)).toDoubleArray();
            for (int i = 0; i < 12; i++) assertEquals(a[i], b[i], 0, "position " + i / 4);
            assertTrue(Math.abs(a[12] - b[12]) + Math.abs(a[13] - b[13]) > 1e-6, "the last position does see its token");
        }
    }

    @Test
    void pooledOutputIsReadWhereTransformersReadsIt() {
        long[] ids = {0, 5, 2, 2, 0, 7, 9, 1};
        assertArrayEquals(new int[] {1, 2}, ClipTextModel.pooledPositions(ids, 2, 4, 2), "legacy eos 2: first largest id");
        assertArrayEquals(new int[] {2, 0}, ClipTextModel.pooledPositions(new long[] {0, 5, 9, 9, 0, 7, 8, 1}, 2, 4, 9),
                "first eos; none: 0");
        ClipTextModel m = new ClipTextModel(tiny("quick_gelu", 1), new Generator(2));
        ClipTextModel.Output out = m.run(Tensor.ofLongs(new long[] {18, 3, 19, 19, 18, 19, 19, 19}, 2, 4));
        double[] last = out.lastHiddenState().toDoubleArray(), pooled = out.pooled().toDoubleArray();
        for (int c = 0; c < 4; c++) {
            assertEquals(last[2 * 4 + c], pooled[c], 0);
            assertEquals(last[4 * 4 + 1 * 4 + c], pooled[4 + c], 0);
        }
    }

    @Test
    void savedFoldersLoadBackStrictly(@TempDir Path dir) throws IOException {
        ClipTextModel m = new ClipTextModel(tiny("gelu", 2), new Generator(4));
        m.save(dir);
        ClipTextModel back = ClipTextModel.load(dir);
        assertEquals(m.config(), back.config());
        Tensor ids = Tensor.ofLongs(new long[] {18, 1, 2, 19, 19}, 1, 5);
        assertArrayEquals(m.forward(ids).toFloatArray(), back.forward(ids).toFloatArray());
        assertTrue(m.stateDict().containsKey("text_model.encoder.layers.1.self_attn.q_proj.weight"));
        assertTrue(m.stateDict().containsKey("text_model.final_layer_norm.bias"));

        LinkedHashMap<String, Tensor> state = m.stateDict();
        state.put(ClipTextModel.POSITION_IDS, Tensor.ofLongs(new long[] {0, 1, 2, 3, 4}, 1, 5));
        StateDicts.save(dir.resolve("model.safetensors"), state, Map.of());
        ClipTextModel.load(dir);   // old transformers' position_ids buffer is tolerated
        state.remove("text_model.encoder.layers.1.mlp.fc2.bias");
        StateDicts.save(dir.resolve("model.safetensors"), state, Map.of());
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> ClipTextModel.load(dir));
        assertTrue(e.getMessage().contains("text_model.encoder.layers.1.mlp.fc2.bias"), e.getMessage());
    }

    /** transformers 5 saves CLIPTextModel without the "text_model." prefix: such a folder loads to the same model. */
    @Test
    void loadsWeightsSavedWithoutTheTextModelPrefix(@TempDir Path dir) throws IOException {
        ClipTextModel m = new ClipTextModel(tiny("gelu", 2), new Generator(5));
        m.save(dir);
        StateDicts.save(dir.resolve("model.safetensors"), StateDicts.stripPrefix("text_model.", m.stateDict()), Map.of());
        ClipTextModel back = ClipTextModel.load(dir);
        Tensor ids = Tensor.ofLongs(new long[] {18, 1, 2, 19, 19}, 1, 5);
        assertArrayEquals(m.forward(ids).toFloatArray(), back.forward(ids).toFloatArray());
    }

    /** The text encoder config.json of Stable Diffusion 1.x as transformers wrote it. */
    @Test
    void readsTransformersConfigsAndRefusesUnknownKeys(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, """
                {"_name_or_path": "openai/clip-vit-large-patch14", "architectures": ["CLIPTextModel"], "attention_dropout": 0.0,
                 "bos_token_id": 0, "dropout": 0.0, "eos_token_id": 2, "hidden_act": "quick_gelu", "hidden_size": 768,
                 "initializer_factor": 1.0, "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-05,
                 "max_position_embeddings": 77, "model_type": "clip_text_model", "num_attention_heads": 12,
                 "num_hidden_layers": 12, "pad_token_id": 1, "projection_dim": 768, "torch_dtype": "float32",
                 "transformers_version": "4.22.0.dev0", "vocab_size": 49408}""");
        ClipTextConfig c = ClipTextConfig.read(f);
        assertEquals(new ClipTextConfig(49408, 768, 3072, 12, 12, 77, "quick_gelu", 1e-5, 768, 1, 0, 2, 0, 0, 0.02, 1), c);
        Files.writeString(f, "{\"hidden_size\": 64, \"num_attention_heads\": 4, \"hidden_sizes\": 3}");
        ConfigException e = assertThrows(ConfigException.class, () -> ClipTextConfig.read(f));
        assertTrue(e.getMessage().contains("unknown key 'hidden_sizes'"), e.getMessage());
        Files.writeString(f, "{\"model_type\": \"clip\"}");
        e = assertThrows(ConfigException.class, () -> ClipTextConfig.read(f));
        assertTrue(e.getMessage().contains("text_config"), e.getMessage());
        Files.writeString(f, "{\"hidden_act\": \"relu\"}");
        e = assertThrows(ConfigException.class, () -> ClipTextConfig.read(f));
        assertTrue(e.getMessage().contains("relu"), e.getMessage());
        assertEquals(ClipTextConfig.read(writeDefaults(f)), new ClipTextConfig(49408, 512, 2048, 12, 8, 77, "quick_gelu", 1e-5, 512, 1, 49406, 49407, 0, 0, 0.02, 1));
    }

    private static Path writeDefaults(Path f) throws IOException {
        Files.writeString(f, "{}");
        return f;
    }

    @Test
    void aTextTinyEncoderGivesContextsOfItsLengthAndWidth() throws IOException {
        ClipTextEncoder enc = ClipTextEncoder.fromScratch(ClipTokenizerTest.VOCAB, "text-tiny", new Generator(0));
        assertEquals(64, enc.contextDim());
        assertEquals(32, enc.maxLength());
        Tensor ctx = enc.encode(List.of("grinning face, smileys and emotion", "dog face, animals and nature"));
        assertArrayEquals(new int[] {2, 32, 64}, ctx.shape());
        ctx.square().mean().backward();
        assertTrue(enc.model().parameters().stream().allMatch(p -> p.grad() != null), "every weight is trained through encode");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClipTextConfig.preset("text-huge", enc.tokenizer()));
        assertTrue(e.getMessage().contains("text-tiny"), e.getMessage());
    }

    /**
     * Against bench/clip_numpy_reference.py, an independent float64 numpy forward of transformers' CLIPTextModel, on
     * two committed tiny models (quick_gelu with the first-eos pooling; gelu with legacy eos_token_id 2) whose
     * LayerNorm parameters and biases were perturbed so that every term counts.
     */
    @Test
    void matchesAnIndependentNumpyForward() throws IOException {
        for (String name : List.of("quick-gelu", "gelu-legacy-eos")) {
            Path dir = ClipTokenizerTest.RES.resolve("numpy-reference").resolve(name);
            ClipTextModel m = ClipTextModel.load(dir);
            Map<String, Tensor> ref = StateDicts.load(dir.resolve("reference-fp32.safetensors"));
            ClipTextModel.Output out;
            try (var g = GradMode.off()) {
                out = m.run(ref.get("input_ids"));
            }
            double[] last = ClipTorchParity.diff(out.lastHiddenState(), ref.get("last_hidden_state"));
            double[] pooled = ClipTorchParity.diff(out.pooled(), ref.get("pooled"));
            assertTrue(last[0] < 1e-5 && pooled[0] < 1e-5, name + ": last_hidden_state max rel " + last[0] + ", pooled " + pooled[0]);
        }
    }

    /** A diffusers pipeline folder keeps the model in text_encoder/ and the vocabulary in tokenizer/. */
    @Test
    void loadsAnEncoderFromTheDiffusersLayout(@TempDir Path dir) throws IOException {
        ClipTokenizer tok = ClipTokenizer.load(ClipTokenizerTest.VOCAB);
        ClipTextModel m = new ClipTextModel(ClipTextConfig.preset("text-tiny", tok), new Generator(6));
        m.save(dir.resolve("text_encoder"));
        Files.createDirectories(dir.resolve("tokenizer"));
        for (String f : List.of("vocab.json", "merges.txt")) Files.copy(ClipTokenizerTest.VOCAB.resolve(f), dir.resolve("tokenizer").resolve(f));
        ClipTextEncoder enc = ClipTextEncoder.load(dir.resolve("text_encoder"));
        assertEquals(32, enc.maxLength(), "cut to the model's 32 positions");
        try (var g = GradMode.off()) {
            assertArrayEquals(m.forward(tok.withMaxLength(32).encodeBatch(List.of("dog face"))).toFloatArray(),
                    enc.encode(List.of("dog face")).toFloatArray());
        }
    }

    /** LayerNorm starts at ones and zeros; random values make its gradient path count in the check. */
    private static void perturbNorms(ClipEncoderLayer layer) {
        Generator g = new Generator(11);
        layer.namedParameters().forEach((k, p) -> {
            if (k.startsWith("layer_norm") || k.endsWith("bias")) p.copyFrom(Tensor.randn(g, DType.F64, Device.CPU, p.shape()).mul(0.3).add(k.endsWith("weight") ? 1 : 0));
        });
    }
}
