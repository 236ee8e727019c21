package dev.diffusion4j.engine;

import java.util.Arrays;

/** Static helpers over shapes (int[] dims) and strides; shapes are never mutated once given to a tensor. */
public final class Shape {
    private Shape() {}

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public static int numelInt(int[] shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor too large: " + str(shape) + " has " + n + " elements");
        return (int) n;
    }

    /**
     * Strides that show a tensor of {@code shape} / {@code strides} as {@code newShape} (same element count) without
     * moving data, or null when no such view exists. The old dims are taken in runs that are contiguous with each
     * other; each run must be covered exactly by consecutive new dims (size-1 dims fit anywhere). Squeezing a slice,
     * or splitting a dim of a transposed tensor, stays a view this way.
     */
    public static int[] viewStrides(int[] shape, int[] strides, int[] newShape) {
        long n = numel(shape);
        if (n == 0 || shape.length == 0) return contiguousStrides(newShape);
        int[] out = new int[newShape.length];
        int nd = newShape.length - 1;
        long base = strides[shape.length - 1], oldRun = 1, newRun = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            oldRun *= shape[d];
            boolean runEnds = d == 0 || (shape[d - 1] != 1 && strides[d - 1] != oldRun * base);
            if (!runEnds) continue;
            while (nd >= 0 && (newRun < oldRun || newShape[nd] == 1)) {
                out[nd] = (int) (newRun * base);
                newRun *= newShape[nd];
                nd--;
            }
            if (newRun != oldRun) return null;
            if (d > 0) {
                base = strides[d - 1];
                oldRun = 1;
                newRun = 1;
            }
        }
        return nd == -1 ? out : null;
    }

    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /** Normalises a possibly negative dim against a rank. */
    public static int dim(int d, int rank) {
        int r = d < 0 ? d + rank : d;
        if (r < 0 || r >= rank) throw new IllegalArgumentException("dim " + d + " out of range for rank " + rank);
        return r;
    }

    /** NumPy broadcasting of two shapes. */
    public static int[] broadcast(int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            int db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new IllegalArgumentException("shapes " + str(a) + " and " + str(b) + " cannot be broadcast together");
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Strides that read a tensor of shape/strides as if broadcast to {@code target} (0 on broadcast dims). */
    public static int[] broadcastStrides(int[] shape, int[] strides, int[] target) {
        int off = target.length - shape.length;
        int[] s = new int[target.length];
        for (int i = 0; i < target.length; i++) {
            int j = i - off;
            if (j < 0 || shape[j] == 1 && target[i] != 1) s[i] = 0;
            else s[i] = strides[j];
        }
        return s;
    }

    public static String str(int[] shape) { return Arrays.toString(shape); }

    public static int[] of(int... dims) { return dims.clone(); }

    /** A shape and, per operand, its element strides over it. */
    public record Strided(int[] shape, int[][] strides) {}

    /**
     * The same element walk with fewer dims, for the backends' strided loops: size-1 dims dropped and each dim merged
     * into the one before it wherever every operand's strides allow (stride_prev == stride_i * size_i), so contiguous
     * and simple-broadcast cases become one long dim. Rank at least 1 (a scalar becomes [1] with stride 0).
     */
    public static Strided coalesce(int[] shape, int[][] strides) {
        int ops = strides.length, r = 0;
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
        if (r == 0) { s[0] = 1; r = 1; }   // strides stay 0
        int[][] out = new int[ops][];
        for (int k = 0; k < ops; k++) out[k] = Arrays.copyOf(st[k], r);
        return new Strided(Arrays.copyOf(s, r), out);
    }

    private static boolean mergeable(int[][] merged, int prev, int[][] strides, int[] shape, int i) {
        for (int k = 0; k < strides.length; k++) if (merged[k][prev] != strides[k][i] * shape[i]) return false;
        return true;
    }
}
