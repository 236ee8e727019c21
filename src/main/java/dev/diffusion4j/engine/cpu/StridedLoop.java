package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.Shape;

/**
 * Walks up to three strided operands over one shape, row by row along the innermost dim. Dims that are laid out
 * compatibly for every operand are merged first, so contiguous and simple-broadcast cases become one long row.
 */
final class StridedLoop {
    /** Called per row: base offsets of each operand and the row length; inner strides are fixed per loop. */
    @FunctionalInterface
    interface Row { void run(int o0, int o1, int o2, int len); }

    final int[] shape;
    final int[][] strides;   // [operand][dim]
    final int[] base;        // [operand]
    final int[] inner;       // [operand] innermost stride

    StridedLoop(int[] shape, int[][] strides, int[] base) {
        Shape.Strided merged = Shape.coalesce(shape, strides);
        this.shape = merged.shape();
        this.strides = merged.strides();
        this.inner = new int[strides.length];
        for (int k = 0; k < strides.length; k++) inner[k] = this.strides[k][this.shape.length - 1];
        this.base = base;
    }

    int rowLength() { return shape[shape.length - 1]; }

    long rows() {
        long n = 1;
        for (int i = 0; i < shape.length - 1; i++) n *= shape[i];
        return n;
    }

    /** Runs rows [lo, hi). */
    void run(int lo, int hi, Row row) {
        int r = shape.length, ops = strides.length;
        int[] idx = new int[r];
        int[] off = base.clone();
        // decompose lo into a multi-index over the outer dims
        long rem = lo;
        for (int d = r - 2; d >= 0; d--) { idx[d] = (int) (rem % shape[d]); rem /= shape[d]; }
        for (int d = 0; d < r - 1; d++) for (int k = 0; k < ops; k++) off[k] += idx[d] * strides[k][d];
        int len = shape[r - 1];
        for (int row0 = lo; row0 < hi; row0++) {
            row.run(off[0], ops > 1 ? off[1] : 0, ops > 2 ? off[2] : 0, len);
            for (int d = r - 2; d >= 0; d--) {
                for (int k = 0; k < ops; k++) off[k] += strides[k][d];
                if (++idx[d] < shape[d]) break;
                for (int k = 0; k < ops; k++) off[k] -= strides[k][d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    /** Runs every row, in parallel when there is enough work. */
    void runAll(Row row) {
        int rows = (int) rows();
        int len = rowLength();
        int grain = Math.max(1, (1 << 15) / Math.max(1, len));
        if (rows == 1 && len >= (1 << 16)) {
            // one long row: split it instead
            Parallel.forRange(len, 1 << 15, (a, b) -> row.run(base[0] + a * inner[0],
                    strides.length > 1 ? base[1] + a * inner[1] : 0, strides.length > 2 ? base[2] + a * inner[2] : 0, b - a));
            return;
        }
        Parallel.forRange(rows, grain, (a, b) -> run(a, b, row));
    }
}
