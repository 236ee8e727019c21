package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.BinaryOp;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Unary maps (and their backward), binary maps with broadcasting, and where: unary.cu, binary.cu,
 * select.cu. Each call takes the vectorised flat kernel when every operand is one contiguous run
 * (or, for binary, a broadcast scalar), else the generic strided kernel.
 */
final class CudaElementwise {
    private static final String[] UNARY_FNS = {"unary_contig_", "unary_strided_", "unary_bwd_contig_", "unary_bwd_strided_"};
    private static final String[] BINARY_FNS = {"binary_contig_", "binary_strided_", "binary_rows_", "binary_planes_"};
    private static final int DTYPES = DType.values().length;
    private static final int MAX_GRID_Y = 65535;   // gated_add_bwd's batch entries go along grid y

    private final CudaBackend backend;
    private final CudaKernels kernels;
    // hot lookups by index instead of by composed name (racing writes store the same kernel)
    private final Kernel[] unaryTable = new Kernel[UnaryOp.values().length * DTYPES * UNARY_FNS.length];
    private final Kernel[] binaryTable = new Kernel[BinaryOp.values().length * DTYPES * BINARY_FNS.length];

    CudaElementwise(CudaBackend backend, CudaKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    private Kernel unaryKernel(UnaryOp op, DType t, int fn) {
        int i = (op.ordinal() * DTYPES + t.ordinal()) * UNARY_FNS.length + fn;
        Kernel k = unaryTable[i];
        if (k == null) unaryTable[i] = k = kernels.get("unary", UNARY_FNS[fn] + CudaKernels.suffix(t), "OP_" + op.name());
        return k;
    }

    private Kernel binaryKernel(BinaryOp op, DType t, int fn) {
        int i = (op.ordinal() * DTYPES + t.ordinal()) * BINARY_FNS.length + fn;
        Kernel k = binaryTable[i];
        if (k == null) binaryTable[i] = k = kernels.get("binary", BINARY_FNS[fn] + CudaKernels.suffix(t), "OP_" + op.name());
        return k;
    }

    Tensor unary(UnaryOp op, Tensor x, double p, double q) {
        CudaKernels.requireCompute(x.dtype(), op.name());
        int[] shape = x.shape();
        Tensor out = backend.alloc(shape, x.dtype());
        StridedLayout l = fitting(StridedLayout.of(shape, new int[][] {out.strides(), x.strides()}, new int[] {0, x.offset()}), x);
        if (l == null) return unary(op, backend.contiguous(x), p, q);
        if (l.n == 0) return out;
        TensorPointer o = CudaBackend.base(out);
        if (l.flat(1)) {
            TensorPointer xp = CudaBackend.ptr(x);
            int vec = aligned(x.dtype(), xp, o) ? 1 : 0;
            kernels.launch(unaryKernel(op, x.dtype(), 0), vecItems(l.n, vec), xp, o, l.n, vec, p, q);
        } else {
            kernels.launch(unaryKernel(op, x.dtype(), 1), l.n, l.segment(0), CudaBackend.base(x), o, p, q);
        }
        return out;
    }

    Tensor unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gy, double p, double q) {
        CudaKernels.requireCompute(x.dtype(), op.name() + " backward");
        int[] shape = x.shape();
        Tensor g = backend.onThisDevice(gy, "unaryBackward"), yy = backend.onThisDevice(y, "unaryBackward");
        Tensor out = backend.alloc(shape, x.dtype());
        StridedLayout l = StridedLayout.of(shape, new int[][] {out.strides(), x.strides(),
                Shape.broadcastStrides(yy.shape(), yy.strides(), shape), Shape.broadcastStrides(g.shape(), g.strides(), shape)},
                new int[] {0, x.offset(), yy.offset(), g.offset()});
        if (!l.fits()) return unaryBackward(op, backend.contiguous(x), backend.contiguous(yy), backend.contiguous(g.expand(shape)), p, q);
        if (l.n == 0) return out;
        TensorPointer o = CudaBackend.base(out);
        if (l.flat(1) && l.flat(2) && l.flat(3)) {
            TensorPointer xp = CudaBackend.ptr(x), yp = CudaBackend.ptr(yy), gp = CudaBackend.ptr(g);
            int vec = aligned(x.dtype(), xp, yp, gp, o) ? 1 : 0;
            kernels.launch(unaryKernel(op, x.dtype(), 2), vecItems(l.n, vec), xp, yp, gp, o, l.n, vec, p, q);
        } else {
            kernels.launch(unaryKernel(op, x.dtype(), 3), l.n, l.segment(0),
                    CudaBackend.base(x), CudaBackend.base(yy), CudaBackend.base(g), o, p, q);
        }
        return out;
    }

    Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        CudaKernels.requireCompute(a.dtype(), op.name());
        Tensor bb = backend.onThisDevice(b, op.name());
        if (bb.dtype() != a.dtype()) throw new IllegalArgumentException(op.name() + ": dtypes " + a.dtype().id() + " and " + bb.dtype().id() + " differ");
        int[] shape = Shape.broadcast(a.shape(), bb.shape());
        Tensor out = backend.alloc(shape, a.dtype());
        StridedLayout l = StridedLayout.of(shape, new int[][] {out.strides(),
                Shape.broadcastStrides(a.shape(), a.strides(), shape), Shape.broadcastStrides(bb.shape(), bb.strides(), shape)},
                new int[] {0, a.offset(), bb.offset()});
        if (!l.fits()) return binary(op, backend.contiguous(a.expand(shape)), backend.contiguous(bb.expand(shape)));
        if (l.n == 0) return out;
        TensorPointer o = CudaBackend.base(out);
        boolean fa = l.flat(1), fb = l.flat(2), sa = l.scalar(1), sb = l.scalar(2);
        int rowB = rowColumns(l, 1, 2), rowA = rowB > 0 ? -1 : rowColumns(l, 2, 1);
        int planeB = planeStride(l, 1, 2), planeA = planeB >= 0 ? -1 : planeStride(l, 2, 1);   // never a row layout: stride 0 inside
        if ((fa || sa) && (fb || sb) && l.rank() == 1) {
            TensorPointer ap = CudaBackend.ptr(a), bp = CudaBackend.ptr(bb);
            int vec = fa && fb && aligned(a.dtype(), ap, bp, o) ? 1 : 0;
            kernels.launch(binaryKernel(op, a.dtype(), 0), vecItems(l.n, vec), ap, bp, o, l.n, fa ? 1 : 0, fb ? 1 : 0, vec);
        } else if (rowB > 0 || rowA > 0) {
            boolean rowIsB = rowB > 0;
            int c = rowIsB ? rowB : rowA, jc = l.shape[l.rank() - 2] * c, rs = l.rank() == 3 ? l.strides[rowIsB ? 2 : 1][0] : 0;
            TensorPointer full = CudaBackend.ptr(rowIsB ? a : bb), row = CudaBackend.ptr(rowIsB ? bb : a);
            int vec = c % 4 == 0 && rs % 4 == 0 && aligned(a.dtype(), full, row, o) ? 1 : 0;
            kernels.launch(binaryKernel(op, a.dtype(), 2), vecItems(l.n, vec), full, row, o, l.n, c, jc, rs, rowIsB ? 1 : 0, vec);
        } else if (planeB >= 0 || planeA >= 0) {
            boolean planeIsB = planeB >= 0;
            int s = l.shape[1];
            TensorPointer full = CudaBackend.ptr(planeIsB ? a : bb), plane = CudaBackend.ptr(planeIsB ? bb : a);
            int vec = s % 4 == 0 && aligned(a.dtype(), full, o) ? 1 : 0;
            kernels.launch(binaryKernel(op, a.dtype(), 3), vecItems(l.n, vec), full, plane, o, l.n, s, planeIsB ? planeB : planeA,
                    planeIsB ? 1 : 0, vec);
        } else {
            kernels.launch(binaryKernel(op, a.dtype(), 1), l.n, l.segment(0), CudaBackend.base(a), CudaBackend.base(bb), o);
        }
        return out;
    }

    private static final AtomicLong GATED_RESIDUALS = new AtomicLong();

    /** How many gated residuals so far ran as one pass (tests check that the kernel ran). */
    static long gatedResiduals() { return GATED_RESIDUALS.get(); }

    /**
     * x + gate[:, None, :] * branch in one pass (binary.cu's gated_add) for contiguous x and branch [A, J, C], gate [A, C]
     * with adjacent columns, and types (x, gate, branch) f32/f32/f32, f32/bf16/bf16 or bf16/bf16/bf16; null otherwise.
     */
    Tensor gatedResidual(Tensor x, Tensor gate, Tensor branch) {
        String types = CudaKernels.suffix(x.dtype()) + "_" + CudaKernels.suffix(gate.dtype()) + "_" + CudaKernels.suffix(branch.dtype());
        if (!types.equals("f32_f32_f32") && !types.equals("f32_bf16_bf16") && !types.equals("bf16_bf16_bf16")) return null;
        int[] shape = x.shape();
        if (shape.length != 3 || !Arrays.equals(shape, branch.shape()) || !x.isContiguous() || !branch.isContiguous() || x.numel() == 0
                || x.numel() > Integer.MAX_VALUE) return null;
        Tensor g = backend.onThisDevice(gate, "gatedResidual"), b = backend.onThisDevice(branch, "gatedResidual");
        int c = shape[2];
        if (g.rank() != 2 || g.shape(0) != shape[0] || g.shape(1) != c || (c > 1 && g.strides()[1] != 1) || g.strides()[0] < c) return null;
        int rs = g.strides()[0];
        Tensor out = backend.alloc(shape, x.dtype());
        TensorPointer xp = CudaBackend.ptr(x), gp = CudaBackend.ptr(g), bp = CudaBackend.ptr(b), o = CudaBackend.base(out);
        int n = (int) x.numel();
        int vec = c % 4 == 0 && rs % 4 == 0 && aligned(x.dtype(), xp, o) && aligned(g.dtype(), gp, bp) ? 1 : 0;
        kernels.launch(kernels.get("binary", "gated_add_" + types, "OP_ADD"), vecItems(n, vec), xp, gp, bp, o, n, c, shape[1] * c, rs, vec);
        GATED_RESIDUALS.incrementAndGet();
        return out;
    }

    // -Ddiffusion4j.cuda.gatedBackward=false leaves the gated residual's backward to the composed ops (for timing both)
    private static final boolean GATED_BACKWARD = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.gatedBackward", "true").strip());
    private static final AtomicLong GATED_RESIDUAL_BACKWARDS = new AtomicLong();

    /** How many gated residual backwards so far ran as binary.cu's gated_add_bwd (tests check that the kernel ran). */
    static long gatedResidualBackwards() { return GATED_RESIDUAL_BACKWARDS.get(); }

    /**
     * {dGate, dBranch} of the gated residual x + gate[:, None, :] * branch for its output gradient gy, in one pass over gy
     * and branch (binary.cu's gated_add_bwd, then gated_bwd_sum over its row chunks): contiguous gy and branch [A, J, C],
     * gate [A, C] with adjacent columns, gate and branch of one type, (gy, gate) f32/f32, f32/bf16 or bf16/bf16; null
     * otherwise. The same values as the composed backward (gy rounded to the gate's type, the products rounded to it), but
     * dGate summed in double without rounding each product first. Off with -Ddiffusion4j.cuda.gatedBackward=false.
     */
    Tensor[] gatedResidualBackward(Tensor gy, Tensor gate, Tensor branch) {
        if (!GATED_BACKWARD || gate.dtype() != branch.dtype()) return null;
        String types = CudaKernels.suffix(gy.dtype()) + "_" + CudaKernels.suffix(branch.dtype());
        if (!types.equals("f32_f32") && !types.equals("f32_bf16") && !types.equals("bf16_bf16")) return null;
        int[] shape = gy.shape();
        if (shape.length != 3 || !Arrays.equals(shape, branch.shape()) || !gy.isContiguous() || !branch.isContiguous() || gy.numel() == 0
                || shape[0] > MAX_GRID_Y) return null;
        Tensor g = backend.onThisDevice(gate, "gatedResidual backward"), b = backend.onThisDevice(branch, "gatedResidual backward");
        int a = shape[0], j = shape[1], c = shape[2];
        if (g.rank() != 2 || g.shape(0) != a || g.shape(1) != c || (c > 1 && g.strides()[1] != 1) || g.strides()[0] < c) return null;
        int rs = g.strides()[0];
        TensorPointer yp = CudaBackend.ptr(gy), gp = CudaBackend.ptr(g), bp = CudaBackend.ptr(b);
        Tensor dBranch = backend.alloc(shape, b.dtype()), dGate = backend.alloc(new int[] {a, c}, g.dtype());
        TensorPointer dp = CudaBackend.base(dBranch);
        int vec = c % 4 == 0 && rs % 4 == 0 && aligned(gy.dtype(), yp) && aligned(b.dtype(), gp, bp, dp) ? 1 : 0;
        // enough row chunks that the blocks fill the device eight times over; each block's threads take C's columns
        int per = CudaKernels.rowsPerChunk(j, (8 * kernels.multiprocessors() + a - 1) / a), chunks = CudaKernels.chunks(j, per);
        int threads = Math.min(256, ((vec == 1 ? c / 4 : c) + 31) / 32 * 32);
        try (DeviceBuffer pg = backend.scratch(8L * chunks * a * c)) {
            kernels.get("binary", "gated_add_bwd_" + types, "OP_ADD").launch(Dim3.of(chunks, a), Dim3.of(threads), 0,
                    yp, gp, bp, dp, pg.address(), a, j, c, rs, per, vec);
            kernels.launch(kernels.get("binary", "gated_bwd_sum_" + CudaKernels.suffix(g.dtype()), "OP_ADD"), (long) a * c,
                    pg.address(), CudaBackend.base(dGate), chunks, a * c);
        }
        GATED_RESIDUAL_BACKWARDS.incrementAndGet();
        return new Tensor[] {dGate, dBranch};
    }

    Tensor where(Tensor cond, Tensor a, Tensor b) {
        CudaKernels.requireCompute(a.dtype(), "where");
        Tensor c = backend.onThisDevice(cond, "where"), bb = backend.onThisDevice(b, "where");
        if (c.dtype() != a.dtype()) c = backend.cast(c, a.dtype());
        int[] shape = Shape.broadcast(Shape.broadcast(c.shape(), a.shape()), bb.shape());
        Tensor out = backend.alloc(shape, a.dtype());
        StridedLayout l = StridedLayout.of(shape, new int[][] {out.strides(), Shape.broadcastStrides(c.shape(), c.strides(), shape),
                Shape.broadcastStrides(a.shape(), a.strides(), shape), Shape.broadcastStrides(bb.shape(), bb.strides(), shape)},
                new int[] {0, c.offset(), a.offset(), bb.offset()});
        if (!l.fits()) return where(backend.contiguous(c.expand(shape)), backend.contiguous(a.expand(shape)), backend.contiguous(bb.expand(shape)));
        if (l.n == 0) return out;
        kernels.launch(kernels.get("select", "where_" + CudaKernels.suffix(a.dtype())), l.n, l.segment(0),
                CudaBackend.base(c), CudaBackend.base(a), CudaBackend.base(bb), CudaBackend.base(out));
        return out;
    }

    /**
     * C when, over the merged layout [A, J, C] (or [J, C]), operand full is contiguous like the output and operand row
     * is an [A, 1, C] with adjacent columns, rows any (positive) stride apart, repeated over J (binary_rows); else -1.
     */
    private static int rowColumns(StridedLayout l, int full, int row) {
        int r = l.rank();
        if (r < 2 || r > 3) return -1;
        int[] o = l.strides[0], f = l.strides[full], w = l.strides[row];
        if (!Arrays.equals(o, f) || o[r - 1] != 1) return -1;
        int c = l.shape[r - 1];
        boolean rowOk = w[r - 1] == 1 && w[r - 2] == 0 && (r == 2 || w[0] >= c);
        return rowOk ? c : -1;
    }

    /** The layout, or null when it has more dims than the kernels take (the caller then gathers x first). */
    private static StridedLayout fitting(StridedLayout l, Tensor x) {
        return l.fits() || x.isContiguous() ? l : null;
    }

    /**
     * The plane stride when, over the merged layout [P, S], operand full is contiguous like the output and operand plane
     * holds one value per plane (stride 0 along S; binary_planes); else -1.
     */
    private static int planeStride(StridedLayout l, int full, int plane) {
        if (l.rank() != 2) return -1;
        int[] o = l.strides[0], f = l.strides[full], p = l.strides[plane];
        return Arrays.equals(o, f) && o[1] == 1 && o[0] == l.shape[1] && p[1] == 0 && p[0] > 0 ? p[0] : -1;
    }

    /** Items a vectorised launch loops over (four elements each). */
    private static long vecItems(int n, int vec) { return vec == 1 ? Math.max(1, n / 4) : n; }

    /** True when every address is aligned for a 4-element access of this dtype. */
    private static boolean aligned(DType t, TensorPointer... pointers) {
        long a = 4L * t.byteSize();
        for (TensorPointer p : pointers) if (p.deviceAddress() % a != 0) return false;
        return true;
    }
}
