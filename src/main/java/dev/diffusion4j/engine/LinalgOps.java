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

    /**
     * x [..., k] @ w [n, k]ᵀ + bias [n] (or null) as one op, so that a backend can add the bias inside the product
     * (CUDA: cuBLASLt's epilogue). Operands of mixed types (after autocast) take the composed matmul and add, as before.
     */
    static Tensor linear(Tensor x0, Tensor w0, Tensor b0) { return linear(x0, w0, b0, null); }

    /**
     * activation(linear(x, w, b)) for an elementwise activation: when no gradient is to be taken (sampling), one
     * backend call that may apply it in the product's epilogue; otherwise the recorded activation after the linear op.
     */
    static Tensor linear(Tensor x0, Tensor w0, Tensor b0, UnaryOp activation) {
        UnaryOp.requireParameterless(activation, "linear");
        if (activation != null && GradMode.isEnabled() && (x0.requiresGrad() || w0.requiresGrad() || (b0 != null && b0.requiresGrad())))
            return ElementwiseOps.unary(activation, linear(x0, w0, b0, null), 0, 0);
        Tensor x = Autocast.cast(x0), w = Autocast.cast(w0), b = b0 == null ? null : Autocast.cast(b0);
        if (w.rank() != 2 || x.rank() < 1 || x.shape(-1) != w.shape[1])
            throw new IllegalArgumentException("linear: input " + Shape.str(x.shape) + " does not fit weight " + Shape.str(w.shape));
        if (b != null && (b.rank() != 1 || b.shape[0] != w.shape[0]))
            throw new IllegalArgumentException("linear: bias " + Shape.str(b.shape) + " does not fit weight " + Shape.str(w.shape));
        if (x.rank() < 2 || x.dtype() != w.dtype() || (b != null && b.dtype() != x.dtype())) {
            Tensor y = x.matmul(w.mT());
            if (b != null) y = y.add(b);
            return activation == null ? y : ElementwiseOps.unary(activation, y, 0, 0);
        }
        Backend be = ElementwiseOps.backendOf(x, w);
        if (b != null) ElementwiseOps.requireSameDevice(x, b);
        return recordLinear(be, be.linear(x, w, b, activation), x, w, b);
    }

    /**
     * {linear(x, w, b), activation of it} where a gradient is recorded for the first only: a backend may write both from
     * one product ({@link Backend#linearKeepingInput}). The second is null where the operands take the composed path (the
     * caller then applies the activation). For {@link NnOps#linearOfLinear}, whose next op records the activation's
     * gradient itself.
     */
    static Tensor[] linearKeepingInput(Tensor x0, Tensor w0, Tensor b0, UnaryOp activation) {
        UnaryOp.requireParameterless(activation, "linear");
        Tensor x = Autocast.cast(x0), w = Autocast.cast(w0), b = b0 == null ? null : Autocast.cast(b0);
        if (w.rank() != 2 || x.rank() < 2 || x.shape(-1) != w.shape[1] || x.dtype() != w.dtype()
                || (b != null && (b.rank() != 1 || b.shape[0] != w.shape[0] || b.dtype() != x.dtype())))
            return new Tensor[] {linear(x0, w0, b0, null), null};   // which checks the shapes (and composes what it may)
        Backend be = ElementwiseOps.backendOf(x, w);
        if (b != null) ElementwiseOps.requireSameDevice(x, b);
        Tensor[] r = be.linearKeepingInput(x, w, b, activation);
        return new Tensor[] {recordLinear(be, r[0], x, w, b), r[1]};
    }

    /** out = linear(x, w, b), recorded for autograd (x, w, b after autocast's casts). */
    private static Tensor recordLinear(Backend be, Tensor out, Tensor x, Tensor w, Tensor b) {
        if (FlopCounter.counting()) FlopCounter.multiplyAdds(out.numel() * x.shape(-1));
        return Autograd.record(out, "linear", gy -> {
            Tensor g2 = gy.reshape(-1, gy.shape(-1));
            Tensor gx = x.requiresGrad() ? gy.matmul(w) : null;
            boolean biasGrad = b != null && b.requiresGrad();
            if (!w.requiresGrad()) return new Tensor[] {gx, null, biasGrad ? g2.sum(0, false) : null};
            Tensor[] g = be.linearWeightGradients(g2, x.reshape(-1, x.shape(-1)), biasGrad);   // one product with the sums where it can
            return new Tensor[] {gx, g[0], g[1]};
        }, x, w, b);
    }
}
