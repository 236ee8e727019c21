package dev.diffusion4j.engine;

/** Differentiable elementwise ops: graph recording around the backends' elementwise kernels. */
final class ElementwiseOps {
    private ElementwiseOps() {}

    static Backend backendOf(Tensor a, Tensor b) {
        requireSameDevice(a, b);
        if (a.dtype() != b.dtype())
            throw new IllegalArgumentException("dtype mismatch: " + a.dtype().id() + " and " + b.dtype().id() + "; convert one with .to(dtype)");
        return a.backend();
    }

    static void requireSameDevice(Tensor a, Tensor b) {
        if (!a.device().equals(b.device()))
            throw new IllegalArgumentException("tensors on different devices: " + a.device() + " and " + b.device()
                    + "; move one with .to(device)");
    }

    /** Whether a and b are floating tensors of different types, which elementwise ops first cast to the wider one. */
    private static boolean needPromotion(Tensor a, Tensor b) {
        return a.dtype() != b.dtype() && a.dtype().isFloating() && b.dtype().isFloating();
    }

    static Tensor unary(UnaryOp op, Tensor x, double p, double q) {
        Backend be = x.backend();
        Tensor y = be.unary(op, x, p, q);
        if (!GradMode.isEnabled() || !x.requiresGrad()) return y;
        // the closure keeps only what the derivative reads; an operand it ignores is stood in for by one of the same
        // shape (the kept one, or the gradient itself when it reads neither, as an affine map's does)
        boolean readsX = op.derivativeReadsInput(), readsY = op.derivativeReadsOutput();
        Tensor keptX = readsX ? x : null, keptY = readsY ? y : null;
        DType type = y.dtype();
        return Autograd.record(y, op.name().toLowerCase(), gy -> {
            Tensor stand = keptX != null ? keptX : keptY != null ? keptY : gy.dtype() == type ? gy : be.cast(gy, type);
            return new Tensor[] {be.unaryBackward(op, keptX != null ? keptX : stand, keptY != null ? keptY : stand, gy, p, q)};
        }, x);
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        if (needPromotion(a, b)) {   // differentiable casts of the narrower operand
            requireSameDevice(a, b);
            DType t = DType.promote(a.dtype(), b.dtype());
            return binary(op, a.to(t), b.to(t));
        }
        Backend be = backendOf(a, b);
        Tensor out = be.binary(op, a, b);
        if (op.isComparison()) return out;
        if (!GradMode.isEnabled() || !a.requiresGrad() && !b.requiresGrad()) return out;
        // the closure keeps only what this op's derivative reads: an add or a subtraction needs neither operand
        boolean ga = a.requiresGrad(), gb = b.requiresGrad();
        int[] as = a.shape, bs = b.shape;
        Tensor sa = switch (op) { case MUL -> gb ? a : null; case POW, MAXIMUM, MINIMUM -> a; default -> null; };
        Tensor sb = switch (op) { case MUL -> ga ? b : null; case DIV, POW, MAXIMUM, MINIMUM -> b; default -> null; };
        Tensor so = op == BinaryOp.DIV && gb || op == BinaryOp.POW && gb ? out : null;
        return Autograd.record(out, op.name().toLowerCase(), gy -> binaryBackward(op, ga, gb, as, bs, sa, sb, so, gy), a, b);
    }

    /** Gradients of a op b from gy; a, b and out are those the op's derivative reads (else null), as and bs the shapes. */
    private static Tensor[] binaryBackward(BinaryOp op, boolean ga, boolean gb, int[] as, int[] bs, Tensor a, Tensor b, Tensor out,
                                           Tensor gy) {
        Tensor da = null, db = null;
        switch (op) {
            case ADD -> { da = ga ? gy : null; db = gb ? gy : null; }
            case SUB -> { da = ga ? gy : null; db = gb ? gy.neg() : null; }
            case MUL -> { da = ga ? gy.mul(b) : null; db = gb ? gy.mul(a) : null; }
            case DIV -> {
                da = ga ? gy.div(b) : null;
                db = gb ? gy.mul(out).div(b).neg() : null;
            }
            case POW -> {
                // d/da a^b = b a^(b-1); d/db a^b = a^b log a
                da = ga ? gy.mul(b).mul(a.pow(b.sub(b.scalarLike(1)))) : null;
                db = gb ? gy.mul(out).mul(a.log()) : null;
            }
            case MAXIMUM, MINIMUM -> {
                // ties split the gradient evenly, as PyTorch does
                Tensor aWins = op == BinaryOp.MAXIMUM ? a.gt(b) : a.lt(b);
                Tensor tie = a.eq(b).mul(a.scalarLike(0.5));
                Tensor wa = aWins.add(tie);
                da = ga ? gy.mul(wa) : null;
                db = gb ? gy.mul(wa.rsub(1)) : null;
            }
            default -> throw new AssertionError(op);
        }
        return new Tensor[] {da == null ? null : da.sumTo(as), db == null ? null : db.sumTo(bs)};
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        if (needPromotion(a, b)) {
            requireSameDevice(a, b);
            DType t = DType.promote(a.dtype(), b.dtype());
            return where(cond, a.to(t), b.to(t));
        }
        Backend be = backendOf(a, b);
        if (!cond.device().equals(a.device())) throw new IllegalArgumentException("where: condition on " + cond.device() + ", values on " + a.device());
        Tensor c = cond.dtype() == a.dtype() ? cond : be.cast(cond, a.dtype());
        Tensor out = be.where(c, a, b);
        boolean ga = a.requiresGrad(), gb = b.requiresGrad();
        int[] as = a.shape, bs = b.shape;
        return Autograd.record(out, "where", gy -> {
            Tensor zero = gy.scalarLike(0);
            return new Tensor[] {
                ga ? be.where(c, gy, zero).sumTo(as) : null,
                gb ? be.where(c, zero, gy).sumTo(bs) : null};
        }, a, b);
    }

    static Tensor cast(Tensor x, DType to) {
        Tensor out = x.backend().cast(x, to);
        if (!to.isFloating() || !x.dtype().isFloating()) return out;
        DType from = x.dtype();
        return Autograd.record(out, "cast", gy -> new Tensor[] {gy.backend().cast(gy, from)}, x);
    }
}
