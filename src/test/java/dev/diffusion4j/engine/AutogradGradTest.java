package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Autograd.grad: the gradient with respect to one input, returned, with no tensor's grad field touched. */
class AutogradGradTest {
    @Test
    void returnsTheInputGradientAndLeavesOtherLeavesAlone() {
        Tensor x = Tensor.of(new double[] {0.5, -1.0, 2.0}, 3).requiresGrad(true);
        Tensor w = Tensor.of(new double[] {1.5, 2.0, -0.5}, 3).requiresGrad(true);
        // x appears on two paths (a diamond): d/dx sum(w x^2 + sin x) = 2 w x + cos x
        Tensor y = w.mul(x.square()).add(x.sin()).sum();
        double[] g = Autograd.grad(y, x).toDoubleArray();
        double[] xs = x.toDoubleArray(), ws = w.toDoubleArray();
        for (int i = 0; i < 3; i++) assertEquals(2 * ws[i] * xs[i] + Math.cos(xs[i]), g[i], 1e-12);
        assertNull(x.grad(), "the input's grad field is not written");
        assertNull(w.grad(), "a parameter's grad is not accumulated");
        assertNull(y.gradFn(), "the graph is released");
    }

    @Test
    void unrelatedRootsGiveZerosAndBadArgumentsAreNamed() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor w = Tensor.of(new double[] {3, 4}, 2).requiresGrad(true);
        assertArrayEquals(new double[2], Autograd.grad(w.square().sum(), x).toDoubleArray());
        assertThrows(IllegalArgumentException.class, () -> Autograd.grad(x.square(), x), "non-scalar root");
        assertThrows(IllegalArgumentException.class, () -> Autograd.grad(x.square().sum(), x.mul(2.0)), "non-leaf input");
    }

    @Test
    void worksInsideANoGradScopeWhenTheGraphWasRecordedWithGradOn() {
        try (var off = GradMode.off()) {
            Tensor g;
            try (var on = GradMode.on()) {
                Tensor x = Tensor.of(new double[] {0.3, 0.7}, 2).requiresGrad(true);
                g = Autograd.grad(x.mul(x).mul(3.0).sum(), x);
            }
            assertArrayEquals(new double[] {1.8, 4.2}, g.toDoubleArray(), 1e-12);
            assertFalse(GradMode.isEnabled());
        }
    }
}
