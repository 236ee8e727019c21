package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * F.linearOf: linear(op(h), W, b) as one op, op(h) recomputed in the backward (less memory) or kept: the composed ops'
 * values and gradients either way; F.linearOfLinear, the two layers of an MLP, likewise.
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
    void linearOfLinearIsTheTwoLayersInValueAndGradient() {
        Tensor x = GradCheck.randn(21, 2, 5, 6), w1 = GradCheck.randn(22, 8, 6), b1 = GradCheck.randn(23, 8), w2 = GradCheck.randn(24, 3, 8),
                b2 = GradCheck.randn(25, 3), gy = GradCheck.randn(26, 2, 5, 3);
        Tensor[] ref = {x, w1, b1, w2, b2}, got = new Tensor[5];
        for (int i = 0; i < 5; i++) {
            got[i] = ref[i].detach().requiresGrad(true);
            ref[i] = ref[i].detach().requiresGrad(true);
        }
        Tensor yRef = F.linear(F.linear(ref[0], ref[1], ref[2], UnaryOp.GELU_TANH), ref[3], ref[4]);
        Tensor y = F.linearOfLinear(got[0], got[1], got[2], UnaryOp.GELU_TANH, got[3], got[4]);
        assertArrayEquals(yRef.toDoubleArray(), y.toDoubleArray(), 1e-12, "forward");
        yRef.backward(gy);
        y.backward(gy);
        for (int i = 0; i < 5; i++) assertArrayEquals(ref[i].grad().toDoubleArray(), got[i].grad().toDoubleArray(), 1e-12, "gradient " + i);
        GradCheck.check("linearOfLinear gelu_tanh", t -> F.linearOfLinear(t[0], t[1], t[2], UnaryOp.GELU_TANH, t[3], t[4]),
                GradCheck.randn(27, 3, 6), GradCheck.randn(28, 8, 6), GradCheck.randn(29, 8), GradCheck.randn(30, 4, 8), GradCheck.randn(31, 4));
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
