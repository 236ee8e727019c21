package dev.diffusion4j.engine;

/** Differentiable matrix products. */
final class LinalgOps {
    private LinalgOps() {}

    /** a [..., m, k] @ b [..., k, n] (or b [k, n] shared by every batch); 1-D operands are not promoted. */
    static Tensor matmul(Tensor a0, Tensor b0) {
        Tensor a = Autocast.cast(a0), b = Autocast.cast(b0);
        ElementwiseOps.backendOf(a, b);
        if (a.rank() < 2 || b.rank() < 2) throw new IllegalArgumentException("matmul needs rank >= 2 operands, got " + Shape.str(a.shape) + " and " + Shape.str(b.shape));
        if (a.shape(-1) != b.shape(-2)) throw new IllegalArgumentException("matmul: inner dims differ: " + Shape.str(a.shape) + " @ " + Shape.str(b.shape));
        if (b.rank() > 2) {
            if (b.rank() != a.rank()) throw new IllegalArgumentException("matmul: batch ranks differ: " + Shape.str(a.shape) + " @ " + Shape.str(b.shape));
            for (int i = 0; i < a.rank() - 2; i++)
                if (a.shape[i] != b.shape[i]) throw new IllegalArgumentException("matmul: batch dims differ: " + Shape.str(a.shape) + " @ " + Shape.str(b.shape));
        }
        Tensor out = a.backend().matmul(a, b);
        if (FlopCounter.counting()) FlopCounter.multiplyAdds(out.numel() * a.shape(-1));
        return Autograd.record(out, "matmul", gy -> {
            Tensor ga = a.requiresGrad() ? gy.matmul(b.mT()) : null;
            Tensor gb = null;
            if (b.requiresGrad()) {
                if (b.rank() == 2 && a.rank() > 2) {
                    // shared weight: fold batch dims into rows
                    Tensor a2 = a.reshape(-1, a.shape(-1)), g2 = gy.reshape(-1, gy.shape(-1));
                    gb = a2.mT().matmul(g2);
                } else gb = a.mT().matmul(gy);
            }
            return new Tensor[] {ga, gb};
        }, a, b);
    }
}
