package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * F.linear as one op (the backend's linear: matmul, bias and an optional activation, which CUDA fuses into cuBLASLt's
 * epilogue): the composed matmul / add / activation's values and gradients, its finite-difference check, its FLOP
 * count and its shape errors.
 */
class LinearOpTest {
    @Test
    void equalsTheComposedOpsInValueAndGradient() {
        Tensor x = GradCheck.randn(1, 2, 5, 6), w = GradCheck.randn(2, 3, 6), b = GradCheck.randn(3, 3), gy = GradCheck.randn(4, 2, 5, 3);
        for (UnaryOp act : new UnaryOp[] {null, UnaryOp.GELU_TANH}) {
            for (boolean bias : new boolean[] {true, false}) {
                Tensor[] ref = {x.detach().requiresGrad(true), w.detach().requiresGrad(true), b.detach().requiresGrad(true)};
                Tensor[] got = {x.detach().requiresGrad(true), w.detach().requiresGrad(true), b.detach().requiresGrad(true)};
                Tensor yRef = ref[0].matmul(ref[1].mT());
                if (bias) yRef = yRef.add(ref[2]);
                if (act != null) yRef = ElementwiseOps.unary(act, yRef, 0, 0);
                Tensor y = F.linear(got[0], got[1], bias ? got[2] : null, act);
                String what = act + (bias ? " with bias" : " without bias");
                assertArrayEquals(yRef.toDoubleArray(), y.toDoubleArray(), 1e-12, what + ": forward");
                yRef.backward(gy);
                y.backward(gy);
                for (int i = 0; i < (bias ? 3 : 2); i++)
                    assertArrayEquals(ref[i].grad().toDoubleArray(), got[i].grad().toDoubleArray(), 1e-12, what + ": gradient " + i);
                try (var off = GradMode.off()) {   // no gradient taken: the backend's one call, activation included
                    assertArrayEquals(yRef.toDoubleArray(), F.linear(x, w, bias ? b : null, act).toDoubleArray(), 1e-12, what + ": no-grad forward");
                }
            }
        }
    }

    @Test
    void passesTheFiniteDifferenceCheck() {
        GradCheck.check("linear", x -> F.linear(x[0], x[1], x[2]), GradCheck.randn(5, 4, 7), GradCheck.randn(6, 3, 7), GradCheck.randn(7, 3));
        GradCheck.check("linear, gelu_tanh", x -> F.linear(x[0], x[1], x[2], UnaryOp.GELU_TANH),
                GradCheck.randn(8, 2, 2, 7), GradCheck.randn(9, 5, 7), GradCheck.randn(10, 5));
    }

    @Test
    void countsTheProductAndRefusesMismatchedShapes() {
        Tensor x = Tensor.randn(new Generator(3), 64, 32), w = Tensor.randn(new Generator(4), 16, 32);
        try (FlopCounter c = FlopCounter.start()) {
            F.linear(x, w, Tensor.zeros(16));
            assertEquals(2L * 64 * 16 * 32, c.flops());
        }
        assertThrows(IllegalArgumentException.class, () -> F.linear(Tensor.zeros(2, 5), Tensor.zeros(3, 4), null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> F.linear(Tensor.zeros(2, 4), Tensor.zeros(3, 4), Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("bias [4]"), e.getMessage());
        // an activation is applied without parameters: CLAMP (and AFFINE, POW) would silently use p = q = 0
        e = assertThrows(IllegalArgumentException.class, () -> F.linear(Tensor.zeros(2, 4), Tensor.zeros(3, 4), null, UnaryOp.CLAMP));
        assertTrue(e.getMessage().contains("CLAMP"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> F.linearOf(UnaryOp.AFFINE, Tensor.zeros(2, 4), Tensor.zeros(3, 4), null));
    }
}
