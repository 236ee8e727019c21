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
        Tensor direct = keptBlock(op, x, red, outShape);
        if (direct != null) return direct;
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

    /**
     * A contiguous f32 tensor whose kept dims are one run between reduced ones (a bias gradient: sum of
     * [N, C, H, W] over N, H and W) is reduced in place, without the permuted copy: output k combines the
     * rows x[o][k][..] over o, each row reduced as reduceRow does. Null when the layout does not fit.
     */
    private static Tensor keptBlock(ReduceOp op, Tensor x, boolean[] red, int[] outShape) {
        if (x.dtype() != DType.F32 || !x.isContiguous()) return null;
        int r = x.rank(), a = 0, b;
        while (a < r && red[a]) a++;
        b = a;
        while (b < r && !red[b]) b++;
        for (int i = b; i < r; i++) if (!red[i]) return null;
        if (a == 0 || b == a) return null; // nothing reduced in front (the permuted view is x itself), or all reduced
        int[] shape = x.shape();
        int outer = 1, kept = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= shape[i];
        for (int i = a; i < b; i++) kept *= shape[i];
        for (int i = b; i < r; i++) inner *= shape[i];
        if (outer == 0 || inner == 0) return null; // empty reductions keep the general path's identities
        Tensor out = CpuElementwise.alloc(outShape, DType.F32);
        float[] xs = CpuElementwise.st(x).f32(), o = CpuElementwise.st(out).f32();
        int off = x.offset(), rowLen = inner, k0 = kept, outerN = outer;
        long count = (long) outer * inner;
        ReduceOp rowOp = op == ReduceOp.MEAN ? ReduceOp.SUM : op;
        Parallel.forRange(kept, Math.max(1, 4096 / (int) Math.max(1, Math.min(count, 4096))), (lo, hi) -> {
            for (int k = lo; k < hi; k++) {
                double acc = reduceRow(rowOp, xs, off + k * rowLen, rowLen);
                for (int q = 1; q < outerN; q++) {
                    double v = reduceRow(rowOp, xs, off + (q * k0 + k) * rowLen, rowLen);
                    acc = switch (rowOp) {
                        case SUM -> acc + v;
                        case MAX -> v > acc || Double.isNaN(v) ? v : acc;
                        case MIN -> v < acc || Double.isNaN(v) ? v : acc;
                        default -> throw new AssertionError(rowOp);
                    };
                }
                o[k] = (float) (op == ReduceOp.MEAN ? acc / count : acc);
            }
        });
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
