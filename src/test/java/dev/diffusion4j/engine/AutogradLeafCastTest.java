package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * A leaf's gradient that arrives in another float type (a parameter's bf16 copy under autocast) is cast to the leaf's
 * type at the end of the backward, the casts of all such leaves together (Backend.castAll), and accumulated with the
 * gradients that arrived in the leaf's type.
 */
class AutogradLeafCastTest {
    /** 2 w computed in f64, recorded against the f32 leaf w: its backward hands back an f64 gradient. */
    private static Tensor twiceInF64(Tensor w) {
        Tensor y;
        try (var off = GradMode.off()) {
            y = w.to(DType.F64).mul(2.0);
        }
        return Autograd.record(y, "twice_f64", gy -> new Tensor[] {gy.mul(2.0)}, w);
    }

    @Test
    void aGradientOfAnotherTypeIsCastAndAccumulated() {
        Tensor w = Tensor.randn(new Generator(1), 4, 3).requiresGrad(true), v = Tensor.randn(new Generator(2), 5).requiresGrad(true);
        assertEquals(DType.F32, w.dtype());
        // w: 2 (f64, twice) + 2 (f64 again) + 1 (f32); v: 2 (f64) only
        twiceInF64(w).sum().add(twiceInF64(w).sum()).add(w.to(DType.F64).sum()).add(twiceInF64(v).sum()).backward();
        assertEquals(DType.F32, w.grad().dtype());
        assertEquals(DType.F32, v.grad().dtype());
        for (double g : w.grad().toDoubleArray()) assertEquals(5.0, g, 0);
        for (double g : v.grad().toDoubleArray()) assertEquals(2.0, g, 0);
    }

    /**
     * Autocast's parameter copy used twice (Autocast.recordCopy, here an f64 leaf and its f32 copy on the CPU): both
     * uses' gradients reach the leaf. (Recorded on one shared tensor, the second use's node replaced the first's, and
     * the first product's backward found its weight's node released: its gradient was lost.)
     */
    @Test
    void aParameterCopyUsedTwiceGetsBothGradients() {
        Tensor p = Tensor.randn(new Generator(3), 4, 3).to(DType.F64).requiresGrad(true);
        Tensor a = Tensor.randn(new Generator(4), 5, 4).to(DType.F32), b = Tensor.randn(new Generator(5), 2, 4).to(DType.F32);
        Tensor copy;
        try (var off = GradMode.off()) {
            copy = p.to(DType.F32);
        }
        a.matmul(Autocast.recordCopy(copy, p)).sum().add(b.matmul(Autocast.recordCopy(copy, p)).sum()).backward();
        assertEquals(DType.F64, p.grad().dtype());
        double[] g = p.grad().toDoubleArray(), as = a.toDoubleArray(), bs = b.toDoubleArray();
        for (int i = 0; i < 4; i++) {
            double want = 0;
            for (int r = 0; r < 5; r++) want += as[r * 4 + i];
            for (int r = 0; r < 2; r++) want += bs[r * 4 + i];
            for (int j = 0; j < 3; j++) assertEquals(want, g[i * 3 + j], 1e-5, "row " + i);
        }
    }
}
