package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.BinaryOp;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;

/** Elementwise kernels over strided f32/f64 operands (other dtypes only move and convert). */
final class CpuElementwise {
    private CpuElementwise() {}

    static CpuStorage st(Tensor t) { return (CpuStorage) t.storage(); }

    static void requireFloat(Tensor t, String what) {
        if (t.dtype() != DType.F32 && t.dtype() != DType.F64)
            throw new IllegalArgumentException(what + " on CPU computes in f32 or f64, not " + t.dtype().id() + "; convert with .to(DType.F32)");
    }

    static Tensor alloc(int[] shape, DType dtype) {
        return new Tensor(CpuStorage.allocate(dtype, Shape.numelInt(shape)), shape);
    }

    static Tensor unary(UnaryOp op, Tensor x, double p, double q) {
        requireFloat(x, op.name());
        int[] shape = x.shape();
        Tensor out = alloc(shape, x.dtype());
        StridedLoop loop = new StridedLoop(shape, new int[][] {Shape.contiguousStrides(shape), x.strides()}, new int[] {0, x.offset()});
        int so = loop.inner[0], sx = loop.inner[1];
        if (x.dtype() == DType.F32) {
            float[] o = st(out).f32(), a = st(x).f32();
            if (so == 1 && sx == 1 && VectorRows.hasUnary(op)) {
                float fp = (float) p, fq = (float) q;
                loop.runAll((io, ix, unused, n) -> VectorRows.unary(op, a, ix, o, io, n, fp, fq));
            } else if (op == UnaryOp.AFFINE) {
                float fp = (float) p, fq = (float) q;
                loop.runAll((io, ix, unused, n) -> { for (int i = 0; i < n; i++) o[io + i * so] = fp * a[ix + i * sx] + fq; });
            } else {
                loop.runAll((io, ix, unused, n) -> { for (int i = 0; i < n; i++) o[io + i * so] = (float) op.apply(a[ix + i * sx], p, q); });
            }
        } else {
            double[] o = st(out).f64(), a = st(x).f64();
            loop.runAll((io, ix, unused, n) -> { for (int i = 0; i < n; i++) o[io + i * so] = op.apply(a[ix + i * sx], p, q); });
        }
        return out;
    }

    static Tensor unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gy, double p, double q) {
        int[] shape = x.shape();
        Tensor out = alloc(shape, x.dtype());
        StridedLoop loop = new StridedLoop(shape,
                new int[][] {Shape.contiguousStrides(shape), x.strides(), Shape.broadcastStrides(gy.shape(), gy.strides(), shape)},
                new int[] {0, x.offset(), gy.offset()});
        int so = loop.inner[0], sx = loop.inner[1], sg = loop.inner[2];
        // y is contiguous (a kernel output), so it shares the output's offsets
        Tensor yc = y.contiguous();
        int yo = yc.offset();
        if (x.dtype() == DType.F32) {
            float[] o = st(out).f32(), a = st(x).f32(), yy = st(yc).f32(), g = st(gy).f32();
            if (so == 1 && sx == 1 && sg == 1 && VectorRows.hasUnaryBackward(op))
                loop.runAll((io, ix, ig, n) -> VectorRows.unaryBackward(op, a, ix, yy, yo + io, g, ig, o, io, n));
            else loop.runAll((io, ix, ig, n) -> {
                for (int i = 0; i < n; i++) o[io + i * so] = (float) (g[ig + i * sg] * op.derivative(a[ix + i * sx], yy[yo + io + i * so], p, q));
            });
        } else {
            double[] o = st(out).f64(), a = st(x).f64(), yy = st(yc).f64(), g = st(gy).f64();
            loop.runAll((io, ix, ig, n) -> {
                for (int i = 0; i < n; i++) o[io + i * so] = g[ig + i * sg] * op.derivative(a[ix + i * sx], yy[yo + io + i * so], p, q);
            });
        }
        return out;
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        requireFloat(a, op.name());
        int[] shape = Shape.broadcast(a.shape(), b.shape());
        Tensor out = alloc(shape, a.dtype());
        StridedLoop loop = new StridedLoop(shape, new int[][] {Shape.contiguousStrides(shape),
                Shape.broadcastStrides(a.shape(), a.strides(), shape), Shape.broadcastStrides(b.shape(), b.strides(), shape)},
                new int[] {0, a.offset(), b.offset()});
        int so = loop.inner[0], sa = loop.inner[1], sb = loop.inner[2];
        if (a.dtype() == DType.F32) {
            float[] o = st(out).f32(), x = st(a).f32(), y = st(b).f32();
            if (so == 1 && (sa == 1 || sa == 0) && (sb == 1 || sb == 0) && VectorRows.hasBinary(op)) {
                loop.runAll((io, ia, ib, n) -> VectorRows.binary(op, x, ia, sa, y, ib, sb, o, io, n));
                return out;
            }
            switch (op) {
                case ADD -> loop.runAll((io, ia, ib, n) -> { for (int i = 0; i < n; i++) o[io + i * so] = x[ia + i * sa] + y[ib + i * sb]; });
                case SUB -> loop.runAll((io, ia, ib, n) -> { for (int i = 0; i < n; i++) o[io + i * so] = x[ia + i * sa] - y[ib + i * sb]; });
                case MUL -> loop.runAll((io, ia, ib, n) -> { for (int i = 0; i < n; i++) o[io + i * so] = x[ia + i * sa] * y[ib + i * sb]; });
                case DIV -> loop.runAll((io, ia, ib, n) -> { for (int i = 0; i < n; i++) o[io + i * so] = x[ia + i * sa] / y[ib + i * sb]; });
                default -> loop.runAll((io, ia, ib, n) -> { for (int i = 0; i < n; i++) o[io + i * so] = (float) op.apply(x[ia + i * sa], y[ib + i * sb]); });
            }
        } else {
            double[] o = st(out).f64(), x = st(a).f64(), y = st(b).f64();
            loop.runAll((io, ia, ib, n) -> { for (int i = 0; i < n; i++) o[io + i * so] = op.apply(x[ia + i * sa], y[ib + i * sb]); });
        }
        return out;
    }

    static Tensor where(Tensor c, Tensor a, Tensor b) {
        requireFloat(a, "where");
        int[] shape = Shape.broadcast(Shape.broadcast(c.shape(), a.shape()), b.shape());
        Tensor cc = c.expand(shape).contiguous();  // condition materialised so three operands remain
        Tensor out = alloc(shape, a.dtype());
        StridedLoop loop = new StridedLoop(shape, new int[][] {Shape.contiguousStrides(shape),
                Shape.broadcastStrides(a.shape(), a.strides(), shape), Shape.broadcastStrides(b.shape(), b.strides(), shape)},
                new int[] {0, a.offset(), b.offset()});
        int so = loop.inner[0], sa = loop.inner[1], sb = loop.inner[2];
        int co = cc.offset();
        if (a.dtype() == DType.F32) {
            float[] o = st(out).f32(), x = st(a).f32(), y = st(b).f32(), m = st(cc).f32();
            loop.runAll((io, ia, ib, n) -> { for (int i = 0; i < n; i++) o[io + i * so] = m[co + io + i * so] != 0 ? x[ia + i * sa] : y[ib + i * sb]; });
        } else {
            double[] o = st(out).f64(), x = st(a).f64(), y = st(b).f64(), m = st(cc).f64();
            loop.runAll((io, ia, ib, n) -> { for (int i = 0; i < n; i++) o[io + i * so] = m[co + io + i * so] != 0 ? x[ia + i * sa] : y[ib + i * sb]; });
        }
        return out;
    }

    /** Copies src (broadcast to dst's shape) into the strided view dst; same dtype. */
    static void copyInto(Tensor dst, Tensor src) {
        if (dst.dtype() != src.dtype()) throw new IllegalArgumentException("copyInto: dtype " + src.dtype().id() + " into " + dst.dtype().id());
        int[] shape = dst.shape();
        StridedLoop loop = new StridedLoop(shape, new int[][] {dst.strides(), Shape.broadcastStrides(src.shape(), src.strides(), shape)},
                new int[] {dst.offset(), src.offset()});
        int so = loop.inner[0], ss = loop.inner[1];
        Object o = st(dst).array(), s = st(src).array();
        if (so == 1 && ss == 1) { // contiguous rows (concatenation, contiguous()): the JDK's copy
            loop.runAll((io, is, u, n) -> System.arraycopy(s, is, o, io, n));
            return;
        }
        switch (dst.dtype()) {
            case F32 -> { float[] d = (float[]) o, x = (float[]) s; loop.runAll((io, is, u, n) -> { for (int i = 0; i < n; i++) d[io + i * so] = x[is + i * ss]; }); }
            case F64 -> { double[] d = (double[]) o, x = (double[]) s; loop.runAll((io, is, u, n) -> { for (int i = 0; i < n; i++) d[io + i * so] = x[is + i * ss]; }); }
            case I64 -> { long[] d = (long[]) o, x = (long[]) s; loop.runAll((io, is, u, n) -> { for (int i = 0; i < n; i++) d[io + i * so] = x[is + i * ss]; }); }
            case I32 -> { int[] d = (int[]) o, x = (int[]) s; loop.runAll((io, is, u, n) -> { for (int i = 0; i < n; i++) d[io + i * so] = x[is + i * ss]; }); }
            case BF16, F16 -> { short[] d = (short[]) o, x = (short[]) s; loop.runAll((io, is, u, n) -> { for (int i = 0; i < n; i++) d[io + i * so] = x[is + i * ss]; }); }
        }
    }

    static Tensor contiguous(Tensor x) {
        if (x.isContiguous() && x.offset() == 0 && x.storage().length() == x.numel()) return x;
        Tensor out = alloc(x.shape(), x.dtype());
        copyInto(out, x);
        return out;
    }

    static Tensor cast(Tensor x, DType to) {
        Tensor c = contiguous(x);
        int n = (int) c.numel();
        Tensor out = alloc(x.shape(), to);
        Object src = st(c).array(), dst = st(out).array();
        int off = c.offset();
        DType from = x.dtype();
        for (int i = 0; i < n; i++) write(dst, to, i, read(src, from, off + i));
        return out;
    }

    static double read(Object a, DType t, int i) {
        return switch (t) {
            case F32 -> ((float[]) a)[i];
            case F64 -> ((double[]) a)[i];
            case I64 -> ((long[]) a)[i];
            case I32 -> ((int[]) a)[i];
            case BF16 -> Float.intBitsToFloat(((short[]) a)[i] << 16);
            case F16 -> Float.float16ToFloat(((short[]) a)[i]);
        };
    }

    static void write(Object a, DType t, int i, double v) {
        switch (t) {
            case F32 -> ((float[]) a)[i] = (float) v;
            case F64 -> ((double[]) a)[i] = v;
            case I64 -> ((long[]) a)[i] = (long) v;
            case I32 -> ((int[]) a)[i] = (int) v;
            case BF16 -> ((short[]) a)[i] = toBf16((float) v);
            case F16 -> ((short[]) a)[i] = Float.floatToFloat16((float) v);
        }
    }

    /** Round-to-nearest-even f32 -> bf16 bits; NaN stays NaN. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
