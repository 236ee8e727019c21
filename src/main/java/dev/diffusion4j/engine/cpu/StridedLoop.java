package dev.diffusion4j.engine.cpu;

import java.util.Arrays;

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
        int ops = strides.length;
        // drop size-1 dims, then merge dim i into i+1 when every operand's layout allows it
        int r = 0;
        int[] s = new int[Math.max(1, shape.length)];
        int[][] st = new int[ops][Math.max(1, shape.length)];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) continue;
            if (r > 0 && mergeable(st, r - 1, strides, shape, i)) {
                s[r - 1] *= shape[i];
                for (int k = 0; k < ops; k++) st[k][r - 1] = strides[k][i];
                continue;
            }
            s[r] = shape[i];
            for (int k = 0; k < ops; k++) st[k][r] = strides[k][i];
            r++;
        }
        if (r == 0) { s[0] = 1; r = 1; for (int k = 0; k < ops; k++) st[k][0] = 0; }
        this.shape = Arrays.copyOf(s, r);
        this.strides = new int[ops][];
        this.inner = new int[ops];
        for (int k = 0; k < ops; k++) { this.strides[k] = Arrays.copyOf(st[k], r); inner[k] = st[k][r - 1]; }
        this.base = base;
    }

    // the merged dim prev can absorb dim i when, for every operand, stride_prev == stride_i * size_i
    private static boolean mergeable(int[][] merged, int prev, int[][] strides, int[] shape, int i) {
        for (int k = 0; k < strides.length; k++) if (merged[k][prev] != strides[k][i] * shape[i]) return false;
        return true;
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
