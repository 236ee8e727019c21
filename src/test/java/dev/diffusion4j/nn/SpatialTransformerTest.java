package dev.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpatialTransformerTest {
    /** Holds the context as a parameter so the gradient check covers d(out)/d(context) too. */
    static final class WithContext extends Module {
        private final SpatialTransformer st;
        private final Parameter ctx;

        WithContext(SpatialTransformer st, Tensor ctx) {
            this.st = registerModule("st", st);
            this.ctx = registerParameter("ctx", ctx);
        }

        @Override public Tensor forward(Tensor x) { return st.forward(x, ctx.data()); }
    }

    @Test
    void gegluGradientsMatchFiniteDifferences() {
        ModuleGradCheck.check("geglu", new GEGLU(3, 2, new Generator(1)), Tensor.randn(new Generator(2), 2, 2, 3));
    }

    @Test
    void gegluIsValueTimesGeluOfGate() {
        GEGLU g = new GEGLU(2, 1, new Generator(1));
        Tensor x = Tensor.randn(new Generator(3), 1, 2);
        Tensor h = g.proj().forward(x);
        double expect = h.toDoubleArray()[0] * F.gelu(Tensor.of(new double[] {h.toDoubleArray()[1]}, 1)).toDoubleArray()[0];
        assertEquals(expect, g.forward(x).toDoubleArray()[0], 1e-6);
    }

    @Test
    void crossAttentionGradientsMatchFiniteDifferences() {
        Generator gen = new Generator(5);
        CrossAttention att = new CrossAttention(4, 3, 2, 2, gen);
        Tensor ctx = Tensor.randn(new Generator(6), 2, 3, 3);
        Module m = new Module() {
            final CrossAttention a = registerModule("a", att);
            final Parameter c = registerParameter("c", ctx);
            @Override public Tensor forward(Tensor x) { return a.forward(x, c.data()); }
        };
        ModuleGradCheck.check("cross-attention", m, Tensor.randn(new Generator(7), 2, 5, 4));
    }

    @Test
    void spatialTransformerGradientsMatchFiniteDifferences() {
        Generator gen = new Generator(11);
        SpatialTransformer st = new SpatialTransformer(4, 3, 2, 1, 2, false, gen);
        for (var e : st.namedParameters().entrySet())      // norms away from 1/0 so every parameter matters
            if (e.getKey().contains("norm")) Init.normal(e.getValue(), e.getKey().endsWith("weight") ? 1 : 0, 0.3, gen);
        ModuleGradCheck.check("spatial transformer", new WithContext(st, Tensor.randn(new Generator(12), 2, 3, 3)),
                Tensor.randn(new Generator(13), 2, 4, 2, 2));
    }

    @Test
    void namesFollowDiffusers() {
        SpatialTransformer st = new SpatialTransformer(8, 6, 2, 1, 4, true, new Generator(1));
        List<String> keys = List.copyOf(st.stateDict().keySet());
        for (String k : List.of("norm.weight", "proj_in.weight", "proj_out.bias", "transformer_blocks.0.norm1.weight",
                "transformer_blocks.0.attn1.to_q.weight", "transformer_blocks.0.attn1.to_out.0.bias", "transformer_blocks.0.attn2.to_k.weight",
                "transformer_blocks.0.norm3.bias", "transformer_blocks.0.ff.net.0.proj.weight", "transformer_blocks.0.ff.net.2.weight"))
            assertTrue(keys.contains(k), k + " missing from " + keys);
        assertFalse(keys.contains("transformer_blocks.0.attn1.to_q.bias"), "q/k/v have no bias");
        assertArrayEquals(new int[] {8, 6}, st.stateDict().get("transformer_blocks.0.attn2.to_k.weight").shape());
        assertArrayEquals(new int[] {64, 8}, st.stateDict().get("transformer_blocks.0.ff.net.0.proj.weight").shape());
        // zero proj_out: the block starts as the identity
        Tensor x = Tensor.randn(new Generator(2), 1, 8, 2, 2);
        assertArrayEquals(x.toFloatArray(), st.forward(x, Tensor.randn(new Generator(3), 1, 5, 6)).toFloatArray(), 1e-6f);
    }

    @Test
    void contextChangesTheOutput() {
        SpatialTransformer st = new SpatialTransformer(4, 3, 1, 1, 2, false, new Generator(1));
        Tensor x = Tensor.randn(new Generator(2), 1, 4, 2, 2);
        double[] a = st.forward(x, Tensor.randn(new Generator(3), 1, 2, 3)).toDoubleArray();
        double[] b = st.forward(x, Tensor.randn(new Generator(4), 1, 2, 3)).toDoubleArray();
        assertFalse(java.util.Arrays.equals(a, b));
    }
}
