package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;

/** Batched matrix products through Sgemm/Dgemm, reading transposed views without copying. */
final class CpuLinalg {
    private CpuLinalg() {}

    /** How a [.., rows, cols] operand is laid out for GEMM: transposed flag, leading dim, batch stride. */
    private record Operand(Tensor t, boolean trans, int ld, int batchStride) {
        static Operand of(Tensor t) {
            int r = t.rank();
            int[] s = t.strides(), sh = t.shape();
            boolean batchOk = true;
            for (int i = 0; i < r - 3; i++) if (sh[i] != 1 && s[i] != s[i + 1] * sh[i + 1]) batchOk = false;
            int bs = r > 2 ? s[r - 3] : 0;
            if (batchOk && s[r - 1] == 1 && s[r - 2] >= Math.max(1, sh[r - 1])) return new Operand(t, false, s[r - 2], bs);
            if (batchOk && s[r - 2] == 1 && s[r - 1] >= Math.max(1, sh[r - 2])) return new Operand(t, true, s[r - 1], bs);
            Tensor c = CpuElementwise.contiguous(t);
            return new Operand(c, false, Math.max(1, sh[r - 1]), r > 2 ? sh[r - 1] * sh[r - 2] : 0);
        }
    }

    static Tensor matmul(Tensor a, Tensor b) {
        CpuElementwise.requireFloat(a, "matmul");
        int m = a.shape(-2), k = a.shape(-1), n = b.shape(-1);
        int[] outShape = a.shape();
        outShape[outShape.length - 1] = n;
        Tensor out = CpuElementwise.alloc(outShape, a.dtype());
        int batch = (int) (a.numel() / Math.max(1, (long) m * k));
        if (a.numel() == 0) batch = (int) (out.numel() / Math.max(1, (long) m * n));
        Operand A = Operand.of(a), B = Operand.of(b);
        int bStride = b.rank() == 2 ? 0 : B.batchStride;
        int aOff = A.t.offset(), bOff = B.t.offset();
        int nb = batch;
        if (a.dtype() == DType.F32) {
            float[] x = CpuElementwise.st(A.t).f32(), y = CpuElementwise.st(B.t).f32(), o = CpuElementwise.st(out).f32();
            Parallel.forRange(nb, 1, (lo, hi) -> {
                for (int i = lo; i < hi; i++)
                    Sgemm.gemm(A.trans, B.trans, m, n, k, 1f, x, aOff + i * A.batchStride, A.ld, y, bOff + i * bStride, B.ld, 0f, o, i * m * n, n);
            });
        } else {
            double[] x = CpuElementwise.st(A.t).f64(), y = CpuElementwise.st(B.t).f64(), o = CpuElementwise.st(out).f64();
            Parallel.forRange(nb, 1, (lo, hi) -> {
                for (int i = lo; i < hi; i++)
                    Dgemm.gemm(A.trans, B.trans, m, n, k, 1, x, aOff + i * A.batchStride, A.ld, y, bOff + i * bStride, B.ld, 0, o, i * m * n, n);
            });
        }
        return out;
    }
}
