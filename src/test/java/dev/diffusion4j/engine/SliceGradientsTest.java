package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/**
 * Slices' gradients written into one buffer (SliceGradients): the same gradients as the dense reference for chunks of
 * an op's output, for overlapping slices (added, not overwritten), for slices mixed with a direct use, and by finite
 * differences.
 */
class SliceGradientsTest {
    /** d/da of sum_k sum(w_k * chunk_k(f(a))) for f(a) = 2a: 2 * the w_k side by side, whatever the slices. */
    @Test
    void chunksOfAnOpsOutputGetTheirGradientsSideBySide() {
        Tensor a = GradCheck.randn(1, 2, 12).requiresGrad(true);
        Tensor w = GradCheck.randn(2, 2, 12);
        Tensor[] parts = a.mul(2).chunk(6, 1), ws = w.chunk(6, 1);
        Tensor loss = null;
        for (int k = 5; k >= 0; k--) {   // used in another order than made
            Tensor t = parts[k].mul(ws[k]).sum();
            loss = loss == null ? t : loss.add(t);
        }
        long before = SliceGradients.inPlace();
        loss.backward();
        assertArrayEquals(w.mul(2).toDoubleArray(), a.grad().toDoubleArray(), 0);
        org.junit.jupiter.api.Assertions.assertTrue(SliceGradients.inPlace() - before >= 5, "chunks 2 to 6 written in place");
    }

    @Test
    void overlappingSlicesAddTheirGradients() {
        Tensor a = GradCheck.randn(3, 3, 8).requiresGrad(true);
        Tensor h = a.mul(1.0);
        Tensor loss = h.slice(1, 0, 5, 1).sum().add(h.slice(1, 3, 8, 1).mul(3).sum()).add(h.slice(1, 0, 8, 2).mul(5).sum());
        loss.backward();
        double[] expect = new double[24];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 8; c++) expect[r * 8 + c] = (c < 5 ? 1 : 0) + (c >= 3 ? 3 : 0) + (c % 2 == 0 ? 5 : 0);
        assertArrayEquals(expect, a.grad().toDoubleArray(), 0);
    }

    @Test
    void slicesMixedWithADirectUseAddUp() {
        Tensor a = GradCheck.randn(4, 2, 6).requiresGrad(true);
        Tensor h = a.mul(1.0);
        Tensor[] c = h.chunk(2, 1);
        Tensor loss = c[0].mul(2).sum().add(h.mul(7).sum()).add(c[1].mul(3).sum());
        loss.backward();
        double[] expect = new double[12];
        for (int r = 0; r < 2; r++)
            for (int k = 0; k < 6; k++) expect[r * 6 + k] = 7 + (k < 3 ? 2 : 3);
        assertArrayEquals(expect, a.grad().toDoubleArray(), 0);
    }

    @Test
    void passesTheFiniteDifferenceCheck() {
        GradCheck.check("chunks of a product", t -> {
            Tensor[] p = t[0].mul(t[1]).chunk(3, 1);
            return Tensor.cat(0, p[2].mul(p[0]).flatten(), p[1].sin().flatten(), p[0].flatten());
        }, GradCheck.randn(5, 2, 9), GradCheck.randn(6, 2, 9));
    }
}
