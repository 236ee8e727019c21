package dev.diffusion4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleGradCheck;
import dev.diffusion4j.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiTTest {
    /** The tiny model of bench/dit_reference_values.py. */
    static final DiTConfig TINY = new DiTConfig(2, 4, 2, 8, 1, 2, 4.0, 3, true);

    static Tensor pattern(double scale, double phase, int... shape) {
        double[] v = new double[(int) dev.diffusion4j.engine.Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = scale * Math.sin(0.37 * i + phase);
        return Tensor.of(v, shape);
    }

    /** Every weight but pos_embed set to 0.2 sin(0.37 i + k), k its position in the state dict (as the Python script does). */
    static void patternWeights(Module m) {
        int k = 0;
        for (var e : m.stateDict().entrySet()) {
            if (e.getKey().equals("pos_embed")) continue;
            Parameter p = m.namedParameters().get(e.getKey());
            p.copyFrom(pattern(0.2, k++, p.shape()));
        }
    }

    @Test
    void parameterCountsEqualTheReference() {
        // python3 ../shared/bench/dit.py --params (PyTorch counts the frozen pos_embed too)
        Map<String, Long> ref = Map.ofEntries(Map.entry("dit-s/2", 32_963_360L), Map.entry("dit-s/4", 32_945_024L), Map.entry("dit-s/8", 33_148_160L),
                Map.entry("dit-b/2", 130_512_416L), Map.entry("dit-b/4", 130_475_648L), Map.entry("dit-b/8", 130_881_536L),
                Map.entry("dit-l/2", 458_102_816L), Map.entry("dit-l/4", 458_053_760L), Map.entry("dit-l/8", 458_594_816L),
                Map.entry("dit-xl/2", 675_129_632L), Map.entry("dit-xl/4", 675_074_432L), Map.entry("dit-xl/8", 675_683_072L));
        for (var e : ref.entrySet()) assertEquals(e.getValue(), ModelPresets.dit(e.getKey()).parameterCount(), e.getKey());
        // the formula is what the built model holds; the frozen table is not trainable (dit.py: trainable 32,865,056)
        DiT s2 = new DiT(ModelPresets.dit("dit-s/2"), new Generator(0));
        assertEquals(32_963_360L, s2.numParameters());
        assertEquals(32_865_056L, s2.numTrainableParameters());
        for (DiTConfig c : List.of(ModelPresets.dit("dit-tiny"), ModelPresets.dit("dit-fmnist"), TINY, TINY.withClasses(0).withLearnSigma(false)))
            assertEquals(c.parameterCount(), new DiT(c, new Generator(0)).numParameters(), c.toString());
    }

    @Test
    void stateDictNamesAndForwardMatchPyTorch() {
        DiT m = new DiT(TINY, new Generator(0));
        assertEquals(List.of("pos_embed", "x_embedder.proj.weight", "x_embedder.proj.bias", "t_embedder.mlp.0.weight", "t_embedder.mlp.0.bias",
                "t_embedder.mlp.2.weight", "t_embedder.mlp.2.bias", "y_embedder.embedding_table.weight", "blocks.0.attn.qkv.weight",
                "blocks.0.attn.qkv.bias", "blocks.0.attn.proj.weight", "blocks.0.attn.proj.bias", "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias",
                "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias", "blocks.0.adaLN_modulation.1.weight", "blocks.0.adaLN_modulation.1.bias",
                "final_layer.linear.weight", "final_layer.linear.bias", "final_layer.adaLN_modulation.1.weight",
                "final_layer.adaLN_modulation.1.bias"), new ArrayList<>(m.stateDict().keySet()));
        m.to(DType.F64);
        patternWeights(m);
        Tensor out;
        try (var g = GradMode.off()) {
            out = m.forward(pattern(1, 0, 2, 2, 4, 4), Tensor.ofLongs(new long[] {3, 250}, 2), Tensor.ofLongs(new long[] {1, 3}, 2));
        }
        assertArrayEquals(new int[] {2, 4, 4, 4}, out.shape());
        // python3 bench/dit_reference_values.py ../shared/bench/dit.py (PyTorch 1.13, float64)
        assertArrayEquals(new double[] {-0.268635298, -0.0328634207, -0.377987217, -0.105825063, 0.0645963438, -0.0959787902, 0.0648575017, -0.02262667, -0.172343637, 0.107542072, -0.302262492, -0.0365570317, 0.178236117, -0.066472409, 0.0927009266, -0.0502637795, 0.0411323357, 0.315069755, 0.146296413, 0.371928909, 0.20877948, -0.164252294, 0.188630053, -0.251238462, -0.0721802401, 0.174614287, 0.0683751589, 0.310309689, 0.1120859, -0.168371096, 0.174419502, -0.210866566, -0.165861079, 0.0581334497, -0.263378953, 0.0192466185, -0.00472999228, -0.140633681, 0.034645084, -0.0428740381, -0.0392539137, 0.194019963, -0.18582364, 0.0711906576, 0.0718375901, -0.162037905, 0.0347554402, -0.0946530747, 0.201344666, 0.321599217, 0.288009426, 0.341234917, 0.0205088649, -0.27023667, -0.0367969957, -0.375554926, 0.0656064357, 0.194750337, 0.213370489, 0.300674259, -0.0334147663, -0.224013305, -0.0228035289, -0.314071521, -0.211866256, -0.0346107135, -0.370883475, -0.105767331, 0.0052147856, -0.183017594, 0.0578400798, -0.0331767082, -0.225530849, 0.121189311, -0.330964215, -0.0359582045, 0.251828403, 0.0299140387, 0.122298004, -0.00660965949, -0.00268802733, 0.332579951, 0.14073784, 0.373792015, 0.278780731, -0.0770980446, 0.196974303, -0.240625414, -0.0343904821, 0.143954726, 0.0906075734, 0.301794505, 0.0284545911, -0.262755366, 0.139455358, -0.254629059, -0.136430443, 0.0254361805, -0.259548346, 0.0155239434, -0.0830489186, -0.225037276, 0.0252484085, -0.0532010807, -0.0604034874, 0.240683595, -0.200855625, 0.0873421736, 0.162757676, -0.0727596763, 0.0739368427, -0.0522213558, 0.187271595, 0.368408298, 0.286032754, 0.34669474, 0.104569919, -0.191359374, -0.0266569086, -0.365853497, 0.0694203134, 0.133617185, 0.220707711, 0.27741756, -0.128633688, -0.305249546, -0.0649136944, -0.353777084}, out.toDoubleArray(), 1e-7);
    }

    @Test
    void positionTableRowsEncodeRowThenColumn() {
        DiT m = new DiT(TINY, new Generator(0));
        // dit.py's table for D = 8 on a 2 x 2 grid (rounded to f32 like the reference's parameter)
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0.841470957f, 0.00999983307f, 0.540302277f, 0.999949992f, 0.841470957f,
                0.00999983307f, 0.540302277f, 0.999949992f, 0, 0, 1, 1, 0.841470957f, 0.00999983307f, 0.540302277f, 0.999949992f, 0.841470957f,
                0.00999983307f, 0.540302277f, 0.999949992f}, m.stateDict().get("pos_embed").toFloatArray(), 1e-7f);
        assertFalse(m.namedParameters().get("pos_embed").requiresGrad());
    }

    @Test
    void initialisationIsTheReferences() {
        DiTConfig c = new DiTConfig(4, 8, 2, 64, 2, 4, 4.0, 10, true);
        DiT m = new DiT(c, new Generator(1));
        Map<String, Tensor> sd = m.stateDict();
        for (var e : sd.entrySet()) {
            String k = e.getKey();
            double[] v = e.getValue().toDoubleArray();
            double absMax = 0, sq = 0;
            for (double x : v) { absMax = Math.max(absMax, Math.abs(x)); sq += x * x; }
            double std = Math.sqrt(sq / v.length);
            if (k.contains("adaLN_modulation") || k.startsWith("final_layer.linear") || k.endsWith(".bias")) assertEquals(0, absMax, k + " is zero");
            else if (k.startsWith("t_embedder") || k.startsWith("y_embedder")) assertEquals(0.02, std, 0.002, k + " is normal(0.02)");
            else if (!k.equals("pos_embed")) {
                int[] s = e.getValue().shape();
                int fanOut = s[0], fanIn = (int) (v.length / s[0]);
                double bound = Math.sqrt(6.0 / (fanIn + fanOut));   // Glorot, the patch kernel taken as [D, C*p*p]
                assertTrue(absMax <= bound && absMax > 0.9 * bound, k + ": max |w| " + absMax + " vs Glorot bound " + bound);
            }
        }
        // adaLN-Zero: a fresh model predicts exactly zero
        Tensor y = m.forward(Tensor.randn(new Generator(2), 3, 4, 8, 8), Tensor.ofLongs(new long[] {0, 5, 999}, 3), Tensor.ofLongs(new long[] {1, 10, 4}, 3));
        for (double v : y.toDoubleArray()) assertEquals(0, v);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        // every weight nonzero, so gradients reach every part (a fresh adaLN-Zero model passes none past its gates)
        DiT dit = new DiT(TINY, new Generator(0));
        dit.to(DType.F64);
        patternWeights(dit);
        Tensor t = Tensor.ofLongs(new long[] {17, 640}, 2), labels = Tensor.ofLongs(new long[] {2, 3}, 2);
        Module wrapped = new Module() {
            { registerModule("dit", dit); }
            @Override public Tensor forward(Tensor x) { return dit.forward(x, t, labels); }
        };
        ModuleGradCheck.check("DiT", wrapped, pattern(1, 0.5, 2, 2, 4, 4));
    }

    @Test
    void missingLabelsMeanTheNullClassAndUnconditionalModelsHaveNoTable() {
        DiT m = new DiT(TINY, new Generator(0));
        patternWeights(m);
        Tensor x = pattern(1, 0, 2, 2, 4, 4).to(DType.F32), t = Tensor.ofLongs(new long[] {3, 250}, 2);
        assertArrayEquals(m.forward(x, t, Tensor.ofLongs(new long[] {3, 3}, 2)).toFloatArray(), m.forward(x, t, null).toFloatArray());
        DiT u = new DiT(TINY.withClasses(0), new Generator(0));
        assertTrue(u.stateDict().keySet().stream().noneMatch(k -> k.startsWith("y_embedder")));
        assertArrayEquals(new int[] {2, 4, 4, 4}, u.forward(x, t, null).shape());
        assertArrayEquals(new int[] {2, 2, 4, 4}, new DiT(TINY.withLearnSigma(false), new Generator(0)).forward(x, t, null).shape());
    }

    @Test
    void guidanceExtrapolatesEveryPredictionChannelAndTakesTheVarianceFromTheConditionalBranch() {
        // the reference's forward_with_cfg guides only the first 3 of 4 latent channels; here all C are guided
        DiTConfig c = new DiTConfig(4, 4, 2, 8, 1, 2, 4.0, 3, true);
        DiT m = new DiT(c, new Generator(0));
        patternWeights(m);
        Tensor x = pattern(1, 0, 2, 4, 4, 4).to(DType.F32), t = Tensor.ofLongs(new long[] {3, 250}, 2), y = Tensor.ofLongs(new long[] {0, 2}, 2);
        var guided = dev.diffusion4j.train.Sampling.guided(new NetworkDenoiser(m), c, 3.0);
        Tensor g = guided.apply(x, t, dev.diffusion4j.diffusion.Conditioning.of(NetworkDenoiser.LABEL, y));
        Tensor cond = m.forward(x, t, y), uncond = m.forward(x, t, null);
        Tensor expected = Tensor.cat(1, uncond.slice(1, 0, 4).add(cond.slice(1, 0, 4).sub(uncond.slice(1, 0, 4)).mul(3.0)), cond.slice(1, 4, 8));
        assertArrayEquals(expected.toFloatArray(), g.toFloatArray(), 1e-5f);
    }

    @Test
    void fractionalTimestepsInterpolateTheEmbedding() {
        DiT m = new DiT(TINY, new Generator(0));
        patternWeights(m);
        Tensor x = pattern(1, 0, 1, 2, 4, 4).to(DType.F32);
        Tensor a = m.forward(x, Tensor.ofLongs(new long[] {100}, 1), null);
        Tensor b = m.forward(x, Tensor.of(new float[] {100f}, 1), null);
        assertArrayEquals(a.toFloatArray(), b.toFloatArray(), 1e-6f);
    }

    @Test
    void configsRoundTripAndBadSizesAreRejected() {
        DiTConfig c = ModelPresets.dit("dit-xl/2");
        assertEquals(c, ModelConfig.fromJson(dev.diffusion4j.io.Json.parseObject(dev.diffusion4j.io.Json.write(c.toJson()))));
        Map<String, Object> unet = new java.util.LinkedHashMap<>(ModelPresets.unet("tiny").toJson());
        unet.remove("arch");   // run folders written before DiT existed
        assertEquals(ModelPresets.unet("tiny"), ModelConfig.fromJson(unet));
        var e = assertThrows(IllegalArgumentException.class, () -> c.withInput(4, 33));
        assertTrue(e.getMessage().contains("not a multiple of the patch size 2"), e.getMessage());
        DiT m = new DiT(TINY, new Generator(0));
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(1, 2, 8, 8), Tensor.ofLongs(new long[] {1}, 1), null));
        assertTrue(e.getMessage().contains("expects [N, 2, 4, 4]"), e.getMessage());
    }
}
