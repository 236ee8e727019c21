package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * F.linearOf: linear(op(h), W, b) as one op, op(h) recomputed in the backward (less memory) or kept: the composed ops'
 * values and gradients either way.
 */
class LinearOfTest {
    @Test
    void equalsTheComposedOpsInValueAndGradient() {
        for (boolean recompute : new boolean[] {true, false})
        for (UnaryOp op : new UnaryOp[] {UnaryOp.GELU_TANH, UnaryOp.SILU, UnaryOp.TANH}) {
            Tensor h = GradCheck.randn(1, 2, 5, 6), w = GradCheck.randn(2, 3, 6), b = GradCheck.randn(3, 3), gy = GradCheck.randn(4, 2, 5, 3);
            Tensor[] ref = {h.detach().requiresGrad(true), w.detach().requiresGrad(true), b.detach().requiresGrad(true)};
            Tensor[] got = {h.detach().requiresGrad(true), w.detach().requiresGrad(true), b.detach().requiresGrad(true)};
            Tensor yRef = F.linear(ElementwiseOps.unary(op, ref[0], 0, 0), ref[1], ref[2]);
            Tensor y = F.linearOf(op, got[0], got[1], got[2], recompute);
            assertArrayEquals(yRef.toDoubleArray(), y.toDoubleArray(), 1e-12, op + " forward");
            yRef.backward(gy);
            y.backward(gy);
            for (int i = 0; i < 3; i++)
                assertArrayEquals(ref[i].grad().toDoubleArray(), got[i].grad().toDoubleArray(), 1e-12, op + " gradient " + i);
        }
    }

    @Test
    void passesTheFiniteDifferenceCheckWithAndWithoutBias() {
        GradCheck.check("linearOf gelu_tanh", x -> F.linearOf(UnaryOp.GELU_TANH, x[0], x[1], x[2]),
                GradCheck.randn(5, 4, 7), GradCheck.randn(6, 3, 7), GradCheck.randn(7, 3));
        GradCheck.check("linearOf silu, no bias", x -> F.linearOf(UnaryOp.SILU, x[0], x[1], null), GradCheck.randn(8, 2, 2, 7), GradCheck.randn(9, 5, 7));
        GradCheck.check("linearOf gelu_tanh, kept", x -> F.linearOf(UnaryOp.GELU_TANH, x[0], x[1], x[2], false),
                GradCheck.randn(10, 4, 7), GradCheck.randn(11, 3, 7), GradCheck.randn(12, 3));
        GradCheck.check("linearOf tanh, kept, no bias", x -> F.linearOf(UnaryOp.TANH, x[0], x[1], null, false),
                GradCheck.randn(13, 2, 3, 7), GradCheck.randn(14, 5, 7));
    }

    @Test
    void countsTheProductAndRefusesMismatchedShapes() {
        Tensor h = Tensor.randn(new Generator(3), 64, 32), w = Tensor.randn(new Generator(4), 16, 32);
        try (FlopCounter c = FlopCounter.start()) {
            F.linearOf(UnaryOp.GELU_TANH, h, w, null);
            assertEquals(2L * 64 * 16 * 32, c.flops());
        }
        assertThrows(IllegalArgumentException.class, () -> F.linearOf(UnaryOp.GELU_TANH, Tensor.zeros(2, 5), Tensor.zeros(3, 4), null));
        assertThrows(IllegalArgumentException.class, () -> F.linearOf(UnaryOp.GELU_TANH, Tensor.zeros(2, 4), Tensor.zeros(3, 4), Tensor.zeros(4)));
    }
}
