package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.ReduceOp;
import dev.diffusion4j.engine.Tensor;

/** Reductions: the reduced dims are moved last and made contiguous, then each output reduces one row (f64 accumulation). */
final class CpuReduce {
    private CpuReduce() {}

    static Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) {
        CpuElementwise.requireFloat(x, op.name());
        int r = x.rank();
        boolean[] red = new boolean[r];
        for (int d : dims) red[d] = true;
        int[] perm = new int[r];
        int j = 0;
        for (int i = 0; i < r; i++) if (!red[i]) perm[j++] = i;
        int keptRank = j;
        for (int i = 0; i < r; i++) if (red[i]) perm[j++] = i;
        int[] shape = x.shape();
        int rowLen = 1;
        for (int d : dims) rowLen *= shape[d];
        int[] outShape = keepDim ? shape.clone() : new int[keptRank];
        if (keepDim) for (int d : dims) outShape[d] = 1;
        else for (int i = 0; i < keptRank; i++) outShape[i] = shape[perm[i]];
        Tensor xp = CpuElementwise.contiguous(x.detach().permute(perm));
        Tensor out = CpuElementwise.alloc(outShape, x.dtype());
        int rows = (int) out.numel();
        int len = rowLen;
        int off = xp.offset();
        if (x.dtype() == DType.F32) {
            float[] a = CpuElementwise.st(xp).f32(), o = CpuElementwise.st(out).f32();
            Parallel.forRange(rows, Math.max(1, 4096 / Math.max(1, len)), (lo, hi) -> {
                for (int row = lo; row < hi; row++) o[row] = (float) reduceRow(op, a, off + row * len, len);
            });
        } else {
            double[] a = CpuElementwise.st(xp).f64(), o = CpuElementwise.st(out).f64();
            Parallel.forRange(rows, Math.max(1, 4096 / Math.max(1, len)), (lo, hi) -> {
                for (int row = lo; row < hi; row++) o[row] = reduceRow(op, a, off + row * len, len);
            });
        }
        return out;
    }

    private static double reduceRow(ReduceOp op, float[] a, int start, int len) {
        switch (op) {
            case SUM, MEAN -> {
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int i = 0;
                for (; i + 3 < len; i += 4) { s0 += a[start + i]; s1 += a[start + i + 1]; s2 += a[start + i + 2]; s3 += a[start + i + 3]; }
                for (; i < len; i++) s0 += a[start + i];
                double s = s0 + s1 + s2 + s3;
                return op == ReduceOp.MEAN ? s / len : s;
            }
            case MAX -> { double m = Double.NEGATIVE_INFINITY; for (int i = 0; i < len; i++) { float v = a[start + i]; if (v > m || Float.isNaN(v)) m = v; } return m; }
            case MIN -> { double m = Double.POSITIVE_INFINITY; for (int i = 0; i < len; i++) { float v = a[start + i]; if (v < m || Float.isNaN(v)) m = v; } return m; }
            default -> throw new AssertionError(op);
        }
    }

    private static double reduceRow(ReduceOp op, double[] a, int start, int len) {
        switch (op) {
            case SUM, MEAN -> { double s = 0; for (int i = 0; i < len; i++) s += a[start + i]; return op == ReduceOp.MEAN ? s / len : s; }
            case MAX -> { double m = Double.NEGATIVE_INFINITY; for (int i = 0; i < len; i++) { double v = a[start + i]; if (v > m || Double.isNaN(v)) m = v; } return m; }
            case MIN -> { double m = Double.POSITIVE_INFINITY; for (int i = 0; i < len; i++) { double v = a[start + i]; if (v < m || Double.isNaN(v)) m = v; } return m; }
            default -> throw new AssertionError(op);
        }
    }
}
