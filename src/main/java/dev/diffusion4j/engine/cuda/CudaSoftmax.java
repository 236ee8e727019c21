package dev.diffusion4j.engine.cuda;

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
        launch("softmax_fwd_", xc, rows, n, inner, log, ptr(xc), ptr(y));
        return y;
    }

    Tensor backward(Tensor y, Tensor gy, int dim, boolean log) {
        Tensor yc = dense(y, "softmax backward"), g = dense(gy, "softmax backward");
        int[] shape = yc.shape();
        int d = Shape.dim(dim, shape.length), n = shape[d], inner = inner(shape, d);
        Tensor dx = backend.alloc(shape, yc.dtype());
        int rows = n == 0 ? 0 : (int) (yc.numel() / n);
        launch("softmax_bwd_", yc, rows, n, inner, log, ptr(yc), ptr(g), ptr(dx));
        return dx;
    }

    private void launch(String fn, Tensor t, int rows, int n, int inner, boolean log, Object... pointers) {
        boolean warp = n <= WARP_ROW_LIMIT;
        Object[] args = new Object[pointers.length + 5];
        System.arraycopy(pointers, 0, args, 0, pointers.length);
        args[pointers.length] = rows;
        args[pointers.length + 1] = n;
        args[pointers.length + 2] = inner;
        args[pointers.length + 3] = log ? 1 : 0;
        args[pointers.length + 4] = warp ? 1 : 0;
        kernels.launchBlocks(kernels.get("softmax", fn + CudaKernels.suffix(t.dtype())), warp ? (rows + 7L) / 8 : rows, args);
    }

    private static int inner(int[] shape, int d) {
        int p = 1;
        for (int i = d + 1; i < shape.length; i++) p *= shape[i];
        return p;
    }
}
