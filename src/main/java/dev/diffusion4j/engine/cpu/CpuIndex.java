package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;

/** index_select and its adjoint index_add over contiguous [outer, size, inner] layouts. */
final class CpuIndex {
    private CpuIndex() {}

    private static long[] indices(Tensor index, int bound) {
        long[] idx = (long[]) CpuElementwise.st(CpuElementwise.contiguous(index)).array();
        int off = CpuElementwise.contiguous(index).offset();
        long[] out = new long[(int) index.numel()];
        for (int i = 0; i < out.length; i++) {
            long v = idx[off + i];
            if (v < 0 || v >= bound) throw new IndexOutOfBoundsException("index " + v + " out of range for dim of size " + bound);
            out[i] = v;
        }
        return out;
    }

    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        int[] shape = x.shape();
        long[] idx = indices(index, shape[dim]);
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.length; i++) inner *= shape[i];
        int[] outShape = shape.clone();
        outShape[dim] = idx.length;
        Tensor c = CpuElementwise.contiguous(x);
        Tensor out = CpuElementwise.alloc(outShape, x.dtype());
        Object src = CpuElementwise.st(c).array(), dst = CpuElementwise.st(out).array();
        int size = shape[dim], in = inner, co = c.offset();
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < idx.length; j++)
                System.arraycopy(src, co + (o * size + (int) idx[j]) * in, dst, (o * idx.length + j) * in, in);
        return out;
    }

    static Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src) {
        CpuElementwise.requireFloat(src, "indexAdd");
        long[] idx = indices(index, shape[dim]);
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.length; i++) inner *= shape[i];
        Tensor s = CpuElementwise.contiguous(src);
        Tensor out = CpuElementwise.alloc(shape, src.dtype());
        int size = shape[dim], so = s.offset();
        if (src.dtype() == DType.F32) {
            float[] a = CpuElementwise.st(s).f32(), o = CpuElementwise.st(out).f32();
            for (int b = 0; b < outer; b++)
                for (int j = 0; j < idx.length; j++) {
                    int from = so + (b * idx.length + j) * inner, to = (b * size + (int) idx[j]) * inner;
                    for (int i = 0; i < inner; i++) o[to + i] += a[from + i];
                }
        } else {
            double[] a = CpuElementwise.st(s).f64(), o = CpuElementwise.st(out).f64();
            for (int b = 0; b < outer; b++)
                for (int j = 0; j < idx.length; j++) {
                    int from = so + (b * idx.length + j) * inner, to = (b * size + (int) idx[j]) * inner;
                    for (int i = 0; i < inner; i++) o[to + i] += a[from + i];
                }
        }
        return out;
    }
}
