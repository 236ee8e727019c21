package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;

/**
 * index_select (any dtype: elements move by width) and index_add (in index order for small ones, else atomicAdd; bf16
 * accumulates in float and is rounded once at the end) over [outer, size, inner] views of contiguous tensors.
 * Out-of-range indices raise the backend's error flag, reported at the next host read.
 */
final class CudaIndex {
    /**
     * index_add runs without atomics (index_add_ordered: the same sums every run) where rows times indices is at most
     * this, e.g. a class embedding's gradient (11 rows by a batch of 256); larger ones (a text vocabulary) use atomicAdd,
     * whose order of summation varies between runs.
     */
    static final long ORDERED_MAX_SIZE_TIMES_K = 1L << 16;
    private final CudaBackend backend;
    private final CudaKernels kernels;

    CudaIndex(CudaBackend backend, CudaKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    Tensor indexSelect(Tensor x, int dim, Tensor index) {
        int[] shape = x.shape();
        int d = Shape.dim(dim, shape.length);
        Tensor idx = indices(index);
        Tensor c = backend.contiguous(x);
        int k = (int) idx.numel(), outer = prod(shape, 0, d), inner = prod(shape, d + 1, shape.length);
        int[] outShape = shape.clone();
        outShape[d] = k;
        Tensor out = backend.alloc(outShape, x.dtype());
        String fn = "index_select_w" + 8 * x.dtype().byteSize();
        kernels.launch(kernels.get("index", fn), out.numel(), CudaBackend.ptr(c),
                CudaBackend.ptr(idx), CudaBackend.base(out), outer, shape[d], k, inner, backend.errorFlag());
        return out;
    }

    Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src) {
        CudaKernels.requireCompute(src.dtype(), "indexAdd");
        int d = Shape.dim(dim, shape.length);
        Tensor idx = indices(index);
        Tensor s = backend.contiguous(backend.onThisDevice(src, "indexAdd"));
        int k = (int) idx.numel(), outer = prod(shape, 0, d), inner = prod(shape, d + 1, shape.length);
        DType accType = src.dtype() == DType.BF16 ? DType.F32 : src.dtype();
        if (shape[d] > 0 && (long) shape[d] * k <= ORDERED_MAX_SIZE_TIMES_K) {   // deterministic: each output element sums its rows in index order
            Tensor acc = backend.alloc(shape.clone(), accType);
            kernels.launch(kernels.get("index", "index_add_ordered_" + CudaKernels.suffix(src.dtype())), (long) outer * shape[d] * inner,
                    CudaBackend.ptr(s), CudaBackend.ptr(idx), CudaBackend.base(acc), outer, shape[d], k, inner, backend.errorFlag());
            return accType == src.dtype() ? acc : backend.cast(acc, src.dtype());
        }
        Tensor acc = backend.full(shape.clone(), accType, 0);
        kernels.launch(kernels.get("index", "index_add_" + CudaKernels.suffix(src.dtype())), (long) outer * k * inner,
                CudaBackend.ptr(s), CudaBackend.ptr(idx), CudaBackend.base(acc),
                outer, shape[d], k, inner, backend.errorFlag());
        return accType == src.dtype() ? acc : backend.cast(acc, src.dtype());
    }

    private Tensor indices(Tensor index) {
        Tensor i = backend.onThisDevice(index, "index");
        if (i.dtype() != DType.I64) throw new IllegalArgumentException("index must be i64, got " + i.dtype().id());
        return backend.contiguous(i);
    }

    private static int prod(int[] s, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) p *= s[i];
        return p;
    }
}
