package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;

/** Fills, strided gathers (contiguous), writes into strided views (copyInto) and dtype casts: copy.cu and fill.cu. */
final class CudaCopy {
    private final CudaBackend backend;
    private final CudaKernels kernels;

    CudaCopy(CudaBackend backend, CudaKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    Tensor full(int[] shape, DType dtype, double value) {
        Tensor t = backend.alloc(shape, dtype);
        int n = (int) t.numel();
        TensorPointer p = CudaBackend.base(t);
        switch (dtype.byteSize()) {
            case 2 -> kernels.launch(kernels.get("fill", "fill_u16"), n, p, n, (short) bits16(dtype, value));
            case 4 -> kernels.launch(kernels.get("fill", "fill_u32"), n, p, n, dtype == DType.F32
                    ? Float.floatToRawIntBits((float) value) : (int) value);
            default -> kernels.launch(kernels.get("fill", "fill_u64"), n, p, n, dtype == DType.F64
                    ? Double.doubleToRawLongBits(value) : (long) value);
        }
        return t;
    }

    private static int bits16(DType dtype, double value) {
        return dtype == DType.BF16 ? Bf16.fromFloat((float) value) : Float.floatToFloat16((float) value);
    }

    Tensor contiguous(Tensor x) {
        if (x.isContiguous() && x.offset() == 0 && x.storage().length() == x.numel()) return x;
        return convert(x, x.dtype());
    }

    /** A new contiguous tensor holding x converted to {@code to} (rounding as the CPU backend does). */
    Tensor convert(Tensor x, DType to) {
        Tensor out = backend.alloc(x.shape(), to);
        copy(out, x);
        return out;
    }

    Tensor cast(Tensor x, DType to) { return convert(x, to); }

    /** Writes src, broadcast to dst's shape and converted to dst's dtype, into the view dst. */
    void copyInto(Tensor dst, Tensor src) {
        if (!(dst.storage() instanceof CudaStorage)) throw new IllegalArgumentException("copyInto: destination is on " + dst.device());
        Tensor s = backend.onThisDevice(src, "copyInto");
        Shape.broadcast(s.shape(), dst.shape()); // throws with both shapes when they do not fit
        copy(dst, s);
    }

    private void copy(Tensor dst, Tensor src) {
        int[] shape = dst.shape();
        StridedLayout l = StridedLayout.of(shape,
                new int[][] {dst.strides(), Shape.broadcastStrides(src.shape(), src.strides(), shape)},
                new int[] {dst.offset(), src.offset()});
        if (l.n == 0) return;
        String[] defines = {"SRC_T=" + CudaKernels.cType(src.dtype()), "DST_T=" + CudaKernels.cType(dst.dtype())};
        if (src.dtype() == dst.dtype() && copyRows16(l, dst, src, defines)) return;
        if (copyTranspose(l, dst, src, defines)) return;
        if (l.flat(0) && l.flat(1)) {
            kernels.launch(kernels.get("copy", "copy_contig", defines), l.n, CudaBackend.ptr(src), CudaBackend.ptr(dst), l.n);
        } else if (!l.fits()) {
            // more than eight unmergeable dims: gather the source first, which merges its dims away
            if (src.isContiguous()) throw new IllegalArgumentException("copy into a view with more than "
                    + StridedLayout.MAX_RANK + " unmergeable dims is not supported on CUDA: " + l);
            copy(dst, contiguous(src.detach()));
        } else {
            kernels.launch(kernels.get("copy", "copy_strided", defines), l.n, l.segment(0), CudaBackend.base(src), CudaBackend.base(dst));
        }
    }

    /**
     * copy.cu's copy_rows16 where the merged layout is rows (any strides, a broadcast too) of elements contiguous in both
     * operands, whole 16-byte words at 16-byte-aligned addresses: measured on a U-Net's skip concatenations, where the
     * generic walk moved one bf16 element per thread.
     */
    private boolean copyRows16(StridedLayout l, Tensor dst, Tensor src, String[] defines) {
        int r = l.rank(), size = dst.dtype().byteSize();
        if (r > 2 || l.strides[0][r - 1] != 1 || l.strides[1][r - 1] != 1) return false;
        long rowBytes = (long) l.shape[r - 1] * size;
        long dld = r == 2 ? (long) l.strides[0][0] * size : 0, sld = r == 2 ? (long) l.strides[1][0] * size : 0;
        long da = CudaBackend.ptr(dst).deviceAddress(), sa = CudaBackend.ptr(src).deviceAddress();
        if (rowBytes % 16 != 0 || dld % 16 != 0 || sld % 16 != 0 || da % 16 != 0 || sa % 16 != 0) return false;
        int rows = r == 2 ? l.shape[0] : 1, cols = (int) (rowBytes / 16);
        kernels.launch(kernels.get("copy", "copy_rows16", defines), (long) rows * cols, CudaBackend.ptr(src), CudaBackend.ptr(dst),
                rows, cols, (int) (sld / 16), (int) (dld / 16));
        return true;
    }

    /**
     * copy.cu's copy_transpose where the merged layout is [batch,] rows, cols with the destination contiguous along cols
     * and the source along rows (a head split or merge): the generic walk read or wrote with a stride.
     */
    private boolean copyTranspose(StridedLayout l, Tensor dst, Tensor src, String[] defines) {
        int r = l.rank();
        if (r < 2 || r > 3 || l.strides[0][r - 1] != 1 || l.strides[1][r - 2] != 1 || l.strides[1][r - 1] == 1) return false;
        int batch = r == 3 ? l.shape[0] : 1, rows = l.shape[r - 2], cols = l.shape[r - 1];
        if (batch > 65535 || (rows + 31) / 32 > 65535) return false;
        long sb = r == 3 ? l.strides[1][0] : 0, db = r == 3 ? l.strides[0][0] : 0;
        kernels.get("copy", "copy_transpose", defines).launch(Dim3.of((cols + 31) / 32, (rows + 31) / 32, batch), Dim3.of(32, 8), 0,
                CudaBackend.ptr(src), CudaBackend.ptr(dst), rows, cols, sb, l.strides[1][r - 1], db, l.strides[0][r - 2]);
        return true;
    }
}
