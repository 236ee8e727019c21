package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Type promotion between floating operands, gradients in their tensor's dtype, and autocast scopes. */
class MixedPrecisionTest {
    @Test
    void promotionPicksTheWiderFloatingType() {
        assertEquals(DType.F64, DType.promote(DType.F32, DType.F64));
        assertEquals(DType.F32, DType.promote(DType.BF16, DType.F32));
        assertEquals(DType.F32, DType.promote(DType.BF16, DType.F16));
        assertEquals(DType.BF16, DType.promote(DType.BF16, DType.BF16));
        assertThrows(IllegalArgumentException.class, () -> DType.promote(DType.F32, DType.I64));
    }

    @Test
    void mixedOperandsComputeInTheWiderTypeAndGradientsComeBackInEachOwn() {
        Tensor a = Tensor.of(new float[] {1.5f, -2f, 0.25f}, 3).requiresGrad(true);
        Tensor b = Tensor.randn(new Generator(3), 3).to(DType.F64).requiresGrad(true);
        Tensor y = a.mul(b).add(a.square());
        assertEquals(DType.F64, y.dtype());
        y.sum().backward();
        assertEquals(DType.F32, a.grad().dtype());
        assertEquals(DType.F64, b.grad().dtype());
        double[] bv = b.toDoubleArray(), ga = a.grad().to(DType.F64).toDoubleArray(), gb = b.grad().toDoubleArray();
        float[] av = a.toFloatArray();
        for (int i = 0; i < 3; i++) {
            assertEquals(bv[i] + 2 * av[i], ga[i], 1e-6);   // d/da (a b + a^2)
            assertEquals(av[i], gb[i], 1e-12);              // d/db
        }
    }

    @Test
    void normParametersFollowTheInputTypeAndKeepTheirOwnGradientType() {
        Tensor x = Tensor.randn(new Generator(4), 2, 4, 3, 3);
        Tensor w = Tensor.randn(new Generator(5), 4).to(DType.F64).requiresGrad(true), b = Tensor.zeros(4).to(DType.F64).requiresGrad(true);
        Tensor y = F.groupNormSilu(x, 2, w, b, 1e-5);
        assertEquals(DType.F32, y.dtype());
        y.square().sum().backward();
        assertEquals(DType.F64, w.grad().dtype());
        assertEquals(DType.F64, b.grad().dtype());
        Tensor ref = F.groupNormSilu(x, 2, w.detach().to(DType.F32), b.detach().to(DType.F32), 1e-5);
        assertArrayEquals(ref.toFloatArray(), y.toFloatArray(), 0f);
    }

    @Test
    void catAndWherePromote() {
        Tensor a = Tensor.of(new float[] {1, 2}, 2), b = Tensor.of(new double[] {3, 4}, 2);
        Tensor c = Tensor.cat(0, a, b);
        assertEquals(DType.F64, c.dtype());
        assertArrayEquals(new double[] {1, 2, 3, 4}, c.toDoubleArray(), 0);
        Tensor w = Tensor.where(a.gt(1.5), a, b);
        assertEquals(DType.F64, w.dtype());
        assertArrayEquals(new double[] {3, 2}, w.toDoubleArray(), 0);
    }

    @Test
    void autocastScopesNestAndLeaveCpuTensorsAlone() {
        assertNull(Autocast.active());
        Tensor x = Tensor.randn(new Generator(1), 2, 3), w = Tensor.randn(new Generator(2), 3, 4);
        try (var outer = Autocast.bf16()) {
            assertEquals(DType.BF16, Autocast.active());
            assertSame(x, Autocast.cast(x));                 // CPU: the CPU backend computes in f32
            assertEquals(DType.F32, x.matmul(w).dtype());
            try (var inner = Autocast.off()) {
                assertNull(Autocast.active());
            }
            assertEquals(DType.BF16, Autocast.active());
        }
        assertNull(Autocast.active());
        assertNull(Precision.FP32.autocast());
        assertEquals(Precision.BF16, Precision.parse("bf16"));
        assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8"));
    }
}
