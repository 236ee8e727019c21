package dev.diffusion4j.engine;

import java.util.Arrays;

/** Differentiable reductions. */
final class ReduceOps {
    private ReduceOps() {}

    static int[] normDims(int[] dims, int rank) {
        int[] d = new int[dims.length];
        for (int i = 0; i < dims.length; i++) d[i] = Shape.dim(dims[i], rank);
        Arrays.sort(d);
        for (int i = 1; i < d.length; i++)
            if (d[i] == d[i - 1]) throw new IllegalArgumentException("dim " + d[i] + " repeated in reduction");
        return d;
    }

    /** Shape with reduced dims kept as size 1. */
    static int[] keptShape(int[] shape, int[] dims) {
        int[] s = shape.clone();
        for (int d : dims) s[d] = 1;
        return s;
    }

    static Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) {
        int[] d = normDims(dims, x.rank());
        Tensor out = x.backend().reduce(op, x, d, keepDim);
        int[] kept = keptShape(x.shape, d), shape = x.shape;
        boolean sumOrMean = op == ReduceOp.SUM || op == ReduceOp.MEAN;   // their backward needs only the shape
        Tensor extremes = sumOrMean ? null : x, reduced = sumOrMean ? null : out;
        return Autograd.record(out, op.name().toLowerCase(), gy -> {
            Tensor g = gy.reshape(kept);
            switch (op) {
                case SUM: return new Tensor[] {g.expand(shape)};
                case MEAN: {
                    long n = Shape.numel(shape) / Math.max(1, Shape.numel(kept));
                    return new Tensor[] {g.mul(1.0 / n).expand(shape)};
                }
                default: {
                    // gradient flows to the extreme elements; ties share it evenly
                    Tensor mask = extremes.detach().eq(reduced.detach().reshape(kept));
                    Tensor count = mask.sum(d, true);
                    return new Tensor[] {mask.div(count).mul(g)};
                }
            }
        }, x);
    }

    static Tensor var(Tensor x, int[] dims, boolean unbiased, boolean keepDim) {
        int[] d = normDims(dims, x.rank());
        long n = 1;
        for (int k : d) n *= x.shape[k];
        Tensor centered = x.sub(x.mean(d, true));
        Tensor v = centered.square().sum(d, keepDim);
        return v.mul(1.0 / (unbiased ? Math.max(1, n - 1) : n));
    }

    static Tensor logsumexp(Tensor x, int[] dims, boolean keepDim) {
        int[] d = normDims(dims, x.rank());
        Tensor m = x.detach().max(d, true);
        // guard all -inf rows: subtracting -inf would give NaN
        m = Tensor.where(m.eq(m.scalarLike(Double.NEGATIVE_INFINITY)), m.zerosLike(), m);
        Tensor s = x.sub(m).exp().sum(d, true).log().add(m);
        return keepDim ? s : s.reshape(reducedShape(x.shape, d));
    }

    static int[] reducedShape(int[] shape, int[] dims) {
        int[] out = new int[shape.length - dims.length];
        int j = 0;
        outer:
        for (int i = 0; i < shape.length; i++) {
            for (int d : dims) if (d == i) continue outer;
            out[j++] = shape[i];
        }
        return out;
    }

    /** Sums over the dims that broadcasting added or stretched, returning a tensor of {@code target} shape. */
    static Tensor sumTo(Tensor g, int[] target) {
        if (Arrays.equals(g.shape, target)) return g;
        int lead = g.rank() - target.length;
        if (lead < 0) throw new IllegalArgumentException("cannot sum " + Shape.str(g.shape) + " to " + Shape.str(target));
        int[] dims = new int[g.rank()];
        int nd = 0;
        for (int i = 0; i < g.rank(); i++) {
            if (i < lead || target[i - lead] == 1 && g.shape[i] != 1) dims[nd++] = i;
        }
        Tensor s = nd == 0 ? g : g.sum(Arrays.copyOf(dims, nd), true);
        return s.reshape(target);
    }
}
