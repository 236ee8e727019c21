package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An {@link Node.AccumulatingBackward} takes over an input's gradient accumulated so far: the gradients come out as
 * with a plain backward (the taken part is not added twice, nor lost), in {@link Tensor#backward} and in
 * {@link Autograd#grad}; leaves and inputs with no pending gradient give null.
 */
class AutogradPendingTest {
    /** y = 3 h, whose backward folds h's pending gradient into its own result and records what it took. */
    private static Tensor triple(Tensor h, List<Tensor> taken) {
        Tensor y;
        try (var off = GradMode.off()) {
            y = h.mul(3.0);
        }
        return Autograd.recordAccumulating(y, "triple", (gy, pending) -> {
            Tensor p = pending.take(0);
            taken.add(p);
            Tensor own = gy.mul(3.0);
            return new Tensor[] {p == null ? own : p.add(own)};
        }, h);
    }

    @Test
    void aTakenGradientIsCountedOnce() {
        Tensor x = Tensor.randn(new Generator(1), 5, 7).requiresGrad(true), w = Tensor.randn(new Generator(2), 5, 7);
        List<Tensor> taken = new ArrayList<>();
        Tensor h = x.mul(2.0);
        // h feeds the triple and a term of its own, whose gradient (w) reaches h first: d/dx = 2 (3 + w)
        triple(h, taken).sum().add(h.mul(w).sum()).backward();
        assertEquals(1, taken.size());
        assertNotNull(taken.get(0), "the residual term's gradient was pending when the triple's backward ran");
        double[] g = x.grad().toDoubleArray(), ws = w.toDoubleArray();
        for (int i = 0; i < g.length; i++) assertEquals(2 * (3 + ws[i]), g[i], 1e-5);
    }

    @Test
    void aLeafOrALoneInputHasNothingPending() {
        Tensor x = Tensor.randn(new Generator(3), 4, 3).requiresGrad(true);
        List<Tensor> taken = new ArrayList<>();
        triple(x, taken).sum().add(x.sum()).backward();   // x a leaf: its gradient accumulates in x.grad, not pending
        triple(x.mul(2.0), taken).sum().backward();       // a non-leaf with one use
        assertNull(taken.get(0));
        assertNull(taken.get(1));
        for (double g : x.grad().toDoubleArray()) assertEquals(4 + 6, g, 1e-6);
    }

    @Test
    void gradTakesPendingGradientsToo() {
        Tensor x = Tensor.randn(new Generator(4), 6).requiresGrad(true), w = Tensor.randn(new Generator(5), 6);
        List<Tensor> taken = new ArrayList<>();
        Tensor h = x.mul(2.0);
        Tensor g = Autograd.grad(triple(h, taken).sum().add(h.mul(w).sum()), x);
        assertNotNull(taken.get(0));
        assertNull(x.grad(), "grad() leaves x.grad alone");
        double[] gs = g.toDoubleArray(), ws = w.toDoubleArray();
        for (int i = 0; i < gs.length; i++) assertEquals(2 * (3 + ws[i]), gs[i], 1e-5);
    }
}
