package dev.diffusion4j.engine;

/** Differentiable gathers: index_select (embedding lookups) and gather, with scatter-add as their adjoint. */
final class IndexOps {
    private IndexOps() {}

    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        int d = Shape.dim(dim, x.rank());
        if (index.rank() != 1 || index.dtype() != DType.I64) throw new IllegalArgumentException("indexSelect needs a 1-D i64 index, got " + index);
        if (!index.device().equals(x.device())) throw new IllegalArgumentException("index on " + index.device() + ", tensor on " + x.device());
        Tensor out = x.backend().indexSelect(x, d, index);
        int[] shape = x.shape;
        return Autograd.record(out, "index_select", gy -> new Tensor[] {gy.backend().indexAdd(shape.clone(), d, index, gy)}, x);
    }

    /** torch.gather via flat indices: out[..., j, ...] = x[..., index[..., j, ...], ...] along dim. */
    static Tensor gather(Tensor x, int dim, Tensor index) {
        int d = Shape.dim(dim, x.rank());
        if (index.rank() != x.rank()) throw new IllegalArgumentException("gather: index rank " + index.rank() + " != tensor rank " + x.rank());
        for (int i = 0; i < x.rank(); i++)
            if (i != d && index.shape[i] > x.shape[i]) throw new IllegalArgumentException("gather: index shape " + Shape.str(index.shape) + " exceeds " + Shape.str(x.shape));
        // flat = sum_i coord_i * stride_i with coord_d taken from index
        int[] strides = Shape.contiguousStrides(x.shape);
        long[] idx = index.toLongArray();
        int[] is = index.shape;
        int[] coord = new int[is.length];
        long[] flat = new long[idx.length];
        for (int k = 0; k < idx.length; k++) {
            long f = 0;
            for (int i = 0; i < is.length; i++) {
                long c = i == d ? idx[k] : coord[i];
                if (i == d && (c < 0 || c >= x.shape[d])) throw new IndexOutOfBoundsException("gather index " + c + " out of range for size " + x.shape[d]);
                f += c * strides[i];
            }
            flat[k] = f;
            for (int i = is.length - 1; i >= 0; i--) { if (++coord[i] < is[i]) break; coord[i] = 0; }
        }
        Tensor flatIdx = Tensor.ofLongs(flat, flat.length).to(x.device());
        return x.reshape(-1).indexSelect(0, flatIdx).reshape(is);
    }
}
