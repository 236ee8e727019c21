package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;

/** Softmax / log-softmax along any dim and their backward (softmax.cu), read in place as [outer, n, inner]. */
final class CudaSoftmax {
    private static final int WARP_ROW_LIMIT = 1024;

    private final CudaBackend backend;
    private final CudaKernels kernels;

    CudaSoftmax(CudaBackend backend, CudaKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    private Tensor dense(Tensor t, String op) {
        CudaKernels.requireCompute(t.dtype(), op);
        Tensor c = backend.onThisDevice(t, op);
        return c.isContiguous() ? c : backend.contiguous(c);
    }

    private static TensorPointer ptr(Tensor t) { return CudaBackend.ptr(t); }

    Tensor forward(Tensor x, int dim, boolean log) {
        Tensor xc = dense(x, log ? "logSoftmax" : "softmax");
        int[] shape = xc.shape();
        int d = Shape.dim(dim, shape.length), n = shape[d], inner = inner(shape, d);
        Tensor y = backend.alloc(shape, xc.dtype());
        int rows = n == 0 ? 0 : (int) (xc.numel() / n);
        launch("softmax_fwd_", xc, rows, n, inner, log, new Object[] {ptr(xc), ptr(y)});
        return y;
    }

    Tensor backward(Tensor y, Tensor gy, int dim, boolean log) {
        Tensor yc = dense(y, "softmax backward"), g = dense(gy, "softmax backward");
        int[] shape = yc.shape();
        int d = Shape.dim(dim, shape.length), n = shape[d], inner = inner(shape, d);
        Tensor dx = backend.alloc(shape, yc.dtype());
        int rows = n == 0 ? 0 : (int) (yc.numel() / n);
        launch("softmax_bwd_", yc, rows, n, inner, log, new Object[] {ptr(yc), ptr(g), ptr(dx)}, 1.0);
        return dx;
    }

    /**
     * Attention's scores gradient in place: dp [..., Lk] becomes scale * p * (dp - sum(p dp)) along its last dim, the
     * softmax backward with the scores' scale folded in. p and dp contiguous, of one shape and dtype.
     */
    void scaledBackwardInPlace(Tensor p, Tensor dp, double scale) {
        requireDenseRows(p, "attention scores gradient");
        requireDenseRows(dp, "attention scores gradient");
        if (!java.util.Arrays.equals(p.shape(), dp.shape()) || p.dtype() != dp.dtype())
            throw new IllegalArgumentException("attention scores gradient: p " + Shape.str(p.shape()) + " " + p.dtype().id()
                    + " and dp " + Shape.str(dp.shape()) + " " + dp.dtype().id() + " differ");
        int n = p.shape(-1);
        launch("softmax_bwd_", p, rows(p, n), n, 1, false, new Object[] {ptr(p), ptr(dp), ptr(dp)}, scale);
    }

    /**
     * Attention's probabilities from raw scores s = q k^T [..., Lq, Lk] (contiguous, overwritten) and the forward's
     * log-sum-exp lse [..., Lq] (f32): p = exp(scale * s - lse), in one pass.
     */
    void probsFromLse(Tensor s, Tensor lse, double scale) {
        requireDenseRows(s, "attention probabilities");
        Tensor l = lse.isContiguous() ? lse : backend.contiguous(lse);
        if (l.dtype() != DType.F32 || l.numel() * s.shape(-1) != s.numel())
            throw new IllegalArgumentException("attention probabilities: lse " + Shape.str(l.shape()) + " " + l.dtype().id()
                    + " does not fit scores " + Shape.str(s.shape()));
        int n = s.shape(-1), rows = rows(s, n);
        boolean warp = n <= WARP_ROW_LIMIT;
        kernels.launchBlocks(kernels.get("softmax", "probs_from_lse_" + CudaKernels.suffix(s.dtype())), blocks(rows, warp),
                ptr(s), ptr(l), rows, n, warp ? 1 : 0, scale);
        if (l != lse) backend.releaseNow(l);
    }

    /** The rows of t read as [rows, n]; the kernels index rows with an int. */
    private static int rows(Tensor t, int n) {
        long rows = n == 0 ? 0 : t.numel() / n;
        if (rows > Integer.MAX_VALUE) throw new IllegalArgumentException("attention: " + rows + " score rows exceed the kernels' int range");
        return (int) rows;
    }

    private static void requireDenseRows(Tensor t, String op) {
        if (!t.isContiguous()) throw new IllegalArgumentException(op + ": expects a contiguous tensor, got strides of " + Shape.str(t.shape()));
    }

    /** Arguments: the pointers, rows, n, inner, the log flag, the warp flag, then {@code tail}. */
    private void launch(String fn, Tensor t, int rows, int n, int inner, boolean log, Object[] pointers, Object... tail) {
        boolean warp = n <= WARP_ROW_LIMIT;
        Object[] args = new Object[pointers.length + 5 + tail.length];
        System.arraycopy(pointers, 0, args, 0, pointers.length);
        args[pointers.length] = rows;
        args[pointers.length + 1] = n;
        args[pointers.length + 2] = inner;
        args[pointers.length + 3] = log ? 1 : 0;
        args[pointers.length + 4] = warp ? 1 : 0;
        System.arraycopy(tail, 0, args, pointers.length + 5, tail.length);
        kernels.launchBlocks(kernels.get("softmax", fn + CudaKernels.suffix(t.dtype())), blocks(rows, warp), args);
    }

    /** A warp per row (8 to a block) for short rows, else a block per row. */
    private static long blocks(int rows, boolean warp) { return warp ? (rows + 7L) / 8 : rows; }

    private static int inner(int[] shape, int d) {
        int p = 1;
        for (int i = d + 1; i < shape.length; i++) p *= shape[i];
        return p;
    }
}
