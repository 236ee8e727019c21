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
}
