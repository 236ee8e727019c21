package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.ReduceOp;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;

/**
 * SUM/MEAN/MAX/MIN over any dims (reduce.cu). Nothing is copied: the kernel reads x through one
 * layout over the kept dims (a row's base) and one over the reduced dims (moved last). Short rows
 * get a warp each, long rows a block each, and when there are too few rows to fill the device the
 * rows are split over several blocks whose double partials a second launch combines.
 */
final class CudaReduce {
    private static final int WARP_ROW_LIMIT = 512;
    private static final int MIN_CHUNK = 4096;

    private final CudaBackend backend;
    private final CudaKernels kernels;

    CudaReduce(CudaBackend backend, CudaKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) {
        CudaKernels.requireCompute(x.dtype(), op.name());
        int r = x.rank();
        boolean[] red = new boolean[r];
        for (int d : dims) red[Shape.dim(d, r)] = true;
        int[] shape = x.shape(), strides = x.strides();
        int nk = 0;
        for (boolean b : red) if (!b) nk++;
        int[] keptShape = new int[nk], keptStrides = new int[nk], redShape = new int[r - nk], redStrides = new int[r - nk];
        int[] outShape = keepDim ? shape.clone() : new int[nk];
        for (int i = 0, a = 0, b = 0; i < r; i++) {
            if (red[i]) { redShape[b] = shape[i]; redStrides[b++] = strides[i]; if (keepDim) outShape[i] = 1; }
            else { keptShape[a] = shape[i]; keptStrides[a] = strides[i]; if (!keepDim) outShape[a] = shape[i]; a++; }
        }
        Tensor byColumns = columns(op, x, red, outShape);
        if (byColumns != null) return byColumns;
        StridedLayout kept = StridedLayout.of(keptShape, new int[][] {keptStrides}, new int[] {x.offset()});
        StridedLayout inner = StridedLayout.of(redShape, new int[][] {redStrides}, new int[] {0});
        if (!kept.fits() || !inner.fits()) return reduce(op, backend.contiguous(x), dims, keepDim);
        Tensor out = backend.alloc(outShape, x.dtype());
        int rows = (int) Shape.numel(keptShape), len = (int) Shape.numel(redShape);
        if (rows == 0) return out;
        String sfx = CudaKernels.suffix(x.dtype()), def = "OP_" + op.name();
        TensorPointer xp = CudaBackend.base(x), op0 = CudaBackend.base(out);
        if (len <= WARP_ROW_LIMIT) {
            kernels.launchBlocks(kernels.get("reduce", "reduce_" + sfx, def), (rows + 7) / 8,
                    kept.segment(0), inner.segment(1), xp, op0, rows, 1, len, 1, (double) len);
            return out;
        }
        int want = 4 * kernels.multiprocessors();
        int split = rows >= want / 2 ? 1 : (int) Math.max(1, Math.min((want + rows - 1) / rows, (len + MIN_CHUNK - 1) / MIN_CHUNK));
        int chunk = (len + split - 1) / split;
        split = (len + chunk - 1) / chunk;
        if (split == 1) {
            kernels.launchBlocks(kernels.get("reduce", "reduce_" + sfx, def), rows,
                    kept.segment(0), inner.segment(1), xp, op0, rows, 1, len, 0, (double) len);
            return out;
        }
        int items = rows * split;
        try (DeviceBuffer partial = backend.scratch(8L * items)) {
            kernels.launchBlocks(kernels.get("reduce", "reduce_part_" + sfx, def), items,
                    kept.segment(0), inner.segment(1), xp, partial, items, split, chunk, 0);
            StridedLayout rowsOfPartials = StridedLayout.of(new int[] {rows}, new int[][] {{split}}, new int[] {0});
            StridedLayout withinRow = StridedLayout.of(new int[] {split}, new int[][] {{1}}, new int[] {0});
            boolean warp = split <= WARP_ROW_LIMIT;
            kernels.launchBlocks(kernels.get("reduce", "reduce_fin_" + sfx, def), warp ? (rows + 7) / 8 : rows,
                    rowsOfPartials.segment(0), withinRow.segment(1), partial, op0, rows, warp ? 1 : 0, (double) len);
        } // closing queues nothing: later users of the block run after these kernels on the same stream
        return out;
    }

    /**
     * The coalesced path (col_* in reduce.cu) for an x whose reduced dims are one run with kept dims after it: x is
     * [A, J, C] reduced over J, with dense columns C and any strides for J and A where each run merges into one
     * (a channel slice of a channels-last tensor, say). Bias gradients and the gradients of broadcasts over tokens take
     * this shape, and the generic kernel reads them a column at a time, C elements apart. Null when x has another shape.
     */
    private Tensor columns(ReduceOp op, Tensor x, boolean[] red, int[] outShape) {
        int r = red.length, d0 = -1, d1 = -1;
        for (int i = 0; i < r; i++) if (red[i]) { if (d0 < 0) d0 = i; else if (d1 != i - 1) return null; d1 = i; }
        if (d0 < 0 || d1 == r - 1) return null;
        if (d1 < 0) d1 = d0;
        int[] s = x.shape(), st = x.strides();
        long sa = runStride(s, st, 0, d0), sj = runStride(s, st, d0, d1 + 1), sc = runStride(s, st, d1 + 1, r);
        if (sa < 0 || sj < 0 || sc != 1) return null;
        long a = 1, j = 1, c = 1;
        for (int i = 0; i < d0; i++) a *= s[i];
        for (int i = d0; i <= d1; i++) j *= s[i];
        for (int i = d1 + 1; i < r; i++) c *= s[i];
        if (c < COL_MIN_COLUMNS || j < 2 || a > 65535 || a * j * c > Integer.MAX_VALUE) return null;
        Tensor out = backend.alloc(outShape, x.dtype());
        if (a * c == 0) return out;
        TensorPointer xp = CudaBackend.ptr(x), o = CudaBackend.base(out);
        // 16-byte column vectors where the columns and row strides allow (col_reduce_vec): eight times the bytes a load
        int vec = 16 / x.dtype().byteSize();
        boolean vector = vectorColumns && c % vec == 0 && sj % vec == 0 && sa % vec == 0 && xp.deviceAddress() % 16 == 0;
        int tileCols = vector ? COLV_TILE * vec : COL_TILE, rowLanes = vector ? COLV_ROWS : COL_ROWS;
        int tiles = (int) ((c + tileCols - 1) / tileCols) * (int) a;
        int want = (vector ? 8 : 4) * kernels.multiprocessors();
        int split = (int) Math.max(1, Math.min((want + tiles - 1) / tiles, (j + COL_MIN_ROWS - 1) / COL_MIN_ROWS));
        int chunk = (int) ((j + split - 1) / split);
        split = (int) ((j + chunk - 1) / chunk);
        String sfx = CudaKernels.suffix(x.dtype()), def = "OP_" + op.name(), v = vector ? "vec_" : "";
        Dim3 grid = Dim3.of((int) ((c + tileCols - 1) / tileCols), (int) a, split), block = Dim3.of(vector ? COLV_TILE : COL_TILE, rowLanes);
        if (split == 1) {
            kernels.get("reduce", "col_reduce_" + v + sfx, def).launch(grid, block, 0, xp, o, (int) a, (int) j, (int) c, sa, sj, chunk, (double) j);
        } else {
            int n = (int) (a * c);
            try (DeviceBuffer partial = backend.scratch(8L * split * n)) {
                kernels.get("reduce", "col_part_" + v + sfx, def).launch(grid, block, 0, xp, partial, (int) a, (int) j, (int) c, sa, sj, chunk);
                kernels.get("reduce", "col_fin_" + sfx, def).launch(Dim3.of((n + 31) / 32), Dim3.of(32, COLF_LANES), 0, partial, o, n, split, (double) j);
            }
        }
        if (vector) VECTOR_COLUMN_LAUNCHES.incrementAndGet();
        return out;
    }

    /**
     * The element stride of dims [from, to) walked as one run (each stride the next one's times its size, size-1 dims
     * aside): the innermost stride, 0 when every size is 1, -1 when they do not merge or a stride is negative (flip).
     */
    static long runStride(int[] shape, int[] strides, int from, int to) {
        long inner = 0, expect = 0;
        boolean first = true;
        for (int i = to - 1; i >= from; i--) {
            if (shape[i] == 1) continue;
            if (strides[i] < 0) return -1;
            if (first) inner = strides[i];
            else if (strides[i] != expect) return -1;
            first = false;
            expect = (long) strides[i] * shape[i];
        }
        return inner;
    }

    private static final int COL_TILE = 64, COL_ROWS = 4, COL_MIN_COLUMNS = 16, COL_MIN_ROWS = 64;
    /** col_reduce_vec's block: COLV_TILE 16-byte vectors across, COLV_ROWS row lanes (as in reduce.cu). */
    private static final int COLV_TILE = 32, COLV_ROWS = 8;
    /** col_fin's lanes over the chunks (as in reduce.cu). */
    private static final int COLF_LANES = 16;

    // 16-byte column vectors (col_reduce_vec); -Ddiffusion4j.cuda.vectorColumns=false keeps col_reduce
    static final boolean VECTOR_COLUMNS_DEFAULT = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.vectorColumns", "true").strip());
    private static volatile boolean vectorColumns = VECTOR_COLUMNS_DEFAULT;
    private static final java.util.concurrent.atomic.AtomicLong VECTOR_COLUMN_LAUNCHES = new java.util.concurrent.atomic.AtomicLong();

    /** Whether later column reductions whose columns allow it read 16-byte vectors; the previous setting. */
    static boolean setVectorColumns(boolean on) {
        boolean before = vectorColumns;
        vectorColumns = on;
        return before;
    }

    /** How many column reductions so far read 16-byte vectors (tests check that the path ran). */
    static long vectorColumnLaunches() { return VECTOR_COLUMN_LAUNCHES.get(); }
}
