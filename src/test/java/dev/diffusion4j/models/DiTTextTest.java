package dev.diffusion4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.dit.DiTBlock;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleGradCheck;
import dev.diffusion4j.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The text-conditioned DiT: per-block cross-attention to a context and the pooled context in adaLN's conditioning. */
class DiTTextTest {
    /** DiTTest's tiny model, unconditional, with a context of width 3. */
    static final DiTConfig TEXT = new DiTConfig(2, 4, 2, 8, 1, 2, 4.0, 0, true, 3);

    static Tensor context(double phase, int n, int l) { return DiTTest.pattern(1, phase, n, l, 3); }

    /** Holds the context (and c) as parameters so the check covers d(out)/d(context) too. */
    static final class Wrapped extends Module {
        private final java.util.function.BiFunction<Tensor, Tensor, Tensor> f;
        private final Parameter ctx;

        Wrapped(Module inner, Tensor ctx, java.util.function.BiFunction<Tensor, Tensor, Tensor> f) {
            registerModule("inner", inner);
            this.ctx = registerParameter("context", ctx);
            this.f = f;
        }

        @Override public Tensor forward(Tensor x) { return f.apply(x, ctx.data()); }
    }

    @Test
    void blockGradientsMatchFiniteDifferences() {
        DiTBlock block = new DiTBlock(8, 2, 16, 3, new Generator(0), new Generator(1));
        block.to(DType.F64);
        DiTTest.patternWeights(block);   // nonzero adaLN and to_out, so gradients reach every part
        Tensor c = DiTTest.pattern(1, 0.3, 2, 8).to(DType.F64);
        ModuleGradCheck.check("DiT block with cross-attention", new Wrapped(block, context(0.7, 2, 5), (x, ctx) -> block.forward(x, c, ctx)),
                DiTTest.pattern(1, 0.5, 2, 4, 8));
    }

    @Test
    void modelGradientsMatchFiniteDifferencesIncludingThePooledContext() {
        DiT dit = new DiT(TEXT, new Generator(0));
        dit.to(DType.F64);
        DiTTest.patternWeights(dit);
        Tensor t = Tensor.ofLongs(new long[] {17, 640}, 2);
        ModuleGradCheck.check("text DiT", new Wrapped(dit, context(0.2, 2, 3), (x, ctx) -> dit.forward(x, t, null, ctx)),
                DiTTest.pattern(1, 0.5, 2, 2, 4, 4));
    }

    @Test
    void textWeightsAreNamedAndCountedAndTheOtherNamesAreTheReferences() {
        DiT text = new DiT(TEXT, new Generator(0)), plain = new DiT(TEXT.withContextDim(0), new Generator(0));
        List<String> keys = new ArrayList<>(text.stateDict().keySet());
        for (String k : List.of("text_pool_proj.weight", "text_pool_proj.bias", "blocks.0.cross_attn.to_q.weight", "blocks.0.cross_attn.to_k.weight",
                "blocks.0.cross_attn.to_v.weight", "blocks.0.cross_attn.to_out.0.weight", "blocks.0.cross_attn.to_out.0.bias"))
            assertTrue(keys.contains(k), k + " missing from " + keys);
        assertArrayEquals(new int[] {8, 3}, text.stateDict().get("blocks.0.cross_attn.to_k.weight").shape());
        assertArrayEquals(new int[] {8, 3}, text.stateDict().get("text_pool_proj.weight").shape());
        keys.removeIf(k -> k.startsWith("text_pool_proj") || k.contains("cross_attn"));
        assertEquals(new ArrayList<>(plain.stateDict().keySet()), keys, "without the text parts: the plain DiT's names, in its order");
        assertEquals(TEXT.parameterCount(), text.numParameters());
        DiTConfig big = ModelPresets.dit("dit-tiny").withClasses(0).withContextDim(64);
        assertEquals(big.parameterCount(), new DiT(big, new Generator(0)).numParameters());
        // initialisation: q/k/v Glorot-uniform, the output projection and the pooled projection zero
        DiT wide = new DiT(new DiTConfig(2, 4, 2, 64, 1, 4, 4.0, 0, true, 48), new Generator(3));
        for (var e : wide.stateDict().entrySet()) {
            String k = e.getKey();
            if (!k.contains("cross_attn") && !k.startsWith("text_pool_proj")) continue;
            double absMax = 0;
            for (double v : e.getValue().toDoubleArray()) absMax = Math.max(absMax, Math.abs(v));
            int[] s = e.getValue().shape();
            if (k.contains("to_out") || k.startsWith("text_pool_proj")) assertEquals(0, absMax, k + " is zero");
            else {
                double bound = Math.sqrt(6.0 / (s[0] + s[1]));
                assertTrue(absMax <= bound && absMax > 0.9 * bound, k + ": max |w| " + absMax + " vs Glorot bound " + bound);
            }
        }
        // the text weights come from a fork of the generator: the rest equals the plain DiT of the same seed
        Map<String, Tensor> a = text.stateDict(), b = plain.stateDict();
        for (String k : keys) assertArrayEquals(b.get(k).toFloatArray(), a.get(k).toFloatArray(), k);
    }

    @Test
    void zeroInitialisedTextPartsLeaveTheDiTWithoutTextAndTrainedOnesUseTheContext() {
        DiT text = new DiT(TEXT, new Generator(0)), plain = new DiT(TEXT.withContextDim(0), new Generator(0));
        DiTTest.patternWeights(plain);
        Map<String, Tensor> shared = plain.stateDict();
        text.loadStateDict(shared, false);
        Tensor x = DiTTest.pattern(1, 0, 2, 2, 4, 4).to(DType.F32), t = Tensor.ofLongs(new long[] {3, 250}, 2);
        float[] base = plain.forward(x, t, null).toFloatArray();
        // fresh text parts (zero to_out.0 and text_pool_proj): the plain DiT's output whatever the context
        assertArrayEquals(base, text.forward(x, t, null, context(0, 2, 4).to(DType.F32)).toFloatArray(), 1e-6f);
        assertArrayEquals(base, text.forward(x, t, null, context(1.3, 2, 6).to(DType.F32)).toFloatArray(), 1e-6f);

        // the pooled projection alone: outputs follow the context's mean, not its order
        Parameter pool = text.namedParameters().get("text_pool_proj.weight");
        pool.copyFrom(DiTTest.pattern(0.5, 2, pool.shape()));
        Tensor ctx = context(0, 2, 4).to(DType.F32), reversed = Tensor.cat(1, ctx.slice(1, 3, 4), ctx.slice(1, 2, 3), ctx.slice(1, 1, 2), ctx.slice(1, 0, 1));
        float[] pooled = text.forward(x, t, null, ctx).toFloatArray();
        assertFalse(java.util.Arrays.equals(base, pooled), "the pooled context changes c");
        assertArrayEquals(pooled, text.forward(x, t, null, reversed).toFloatArray(), 1e-5f);

        // a nonzero cross-attention output: per-token attention to the context, so a different context changes it
        Parameter out = text.namedParameters().get("blocks.0.cross_attn.to_out.0.weight");
        out.copyFrom(DiTTest.pattern(0.5, 3, out.shape()));
        float[] a = text.forward(x, t, null, ctx).toFloatArray(), b = text.forward(x, t, null, context(2.1, 2, 4).to(DType.F32)).toFloatArray();
        assertFalse(java.util.Arrays.equals(a, pooled));
        assertFalse(java.util.Arrays.equals(a, b));
        // each sample attends to its own context only
        float[] firstAlone = text.forward(x.slice(0, 0, 1), t.slice(0, 0, 1), null, ctx.slice(0, 0, 1)).toFloatArray();
        assertArrayEquals(firstAlone, java.util.Arrays.copyOf(a, firstAlone.length), 1e-5f);
    }

    @Test
    void theDenoiserPassesTheContextAndMisuseIsRefused() {
        DiT text = new DiT(TEXT, new Generator(0));
        DiTTest.patternWeights(text);
        Tensor x = DiTTest.pattern(1, 0, 2, 2, 4, 4).to(DType.F32), t = Tensor.ofLongs(new long[] {3, 250}, 2), ctx = context(0, 2, 4).to(DType.F32);
        try (var g = GradMode.off()) {
            assertArrayEquals(text.forward(x, t, null, ctx).toFloatArray(),
                    new NetworkDenoiser(text).apply(x, t, Conditioning.of(NetworkDenoiser.CONTEXT, ctx)).toFloatArray());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> text.forward(x, t, null));
        assertTrue(e.getMessage().contains("needs a context [N, L, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> text.forward(x, t, null, context(0, 2, 4).reshape(2, 3, 4)));
        assertTrue(e.getMessage().contains("context must be [2, L, 3]"), e.getMessage());
        DiT plain = new DiT(TEXT.withContextDim(0), new Generator(0));
        e = assertThrows(IllegalArgumentException.class, () -> plain.forwardWithContext(x, t, null, ctx));
        assertTrue(e.getMessage().contains("no cross-attention"), e.getMessage());
    }

    @Test
    void contextDimIsWrittenOnlyWhenSet() {
        String plainJson = dev.diffusion4j.io.Json.write(TEXT.withContextDim(0).toJson()), textJson = dev.diffusion4j.io.Json.write(TEXT.toJson());
        assertFalse(plainJson.contains("context"), "config.json of a DiT without text is unchanged: " + plainJson);
        assertTrue(textJson.contains("\"context_dim\":3") || textJson.contains("\"context_dim\": 3"), textJson);
        assertEquals(TEXT, ModelConfig.fromJson(dev.diffusion4j.io.Json.parseObject(textJson)));
        assertEquals(TEXT.withContextDim(0), ModelConfig.fromJson(dev.diffusion4j.io.Json.parseObject(plainJson)));
        assertThrows(IllegalArgumentException.class, () -> TEXT.withContextDim(-1));
    }
}
