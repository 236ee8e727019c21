package dev.diffusion4j.metrics;

import java.util.Arrays;
import java.util.Objects;

/**
 * Feature vectors of a set of images, row-major {@code count x dim} in float64, with the name of the feature
 * network that produced them: every number computed from them carries that name.
 */
public record Features(String network, int count, int dim, double[] values) {
    public Features {
        Objects.requireNonNull(network, "network");
        if (count < 0 || dim <= 0 || (long) count * dim != values.length)
            throw new IllegalArgumentException("features of " + count + " x " + dim + " need " + (long) count * dim + " values, got " + values.length);
    }

    /** Builds from rows (each of the same length). */
    public static Features ofRows(String network, double[][] rows) {
        if (rows.length == 0) throw new IllegalArgumentException("no feature rows");
        int d = rows[0].length;
        double[] v = new double[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != d) throw new IllegalArgumentException("feature row " + i + " has " + rows[i].length + " values, row 0 has " + d);
            System.arraycopy(rows[i], 0, v, i * d, d);
        }
        return new Features(network, rows.length, d, v);
    }

    /** Row {@code i} as a copy. */
    public double[] row(int i) {
        return Arrays.copyOfRange(values, i * dim, (i + 1) * dim);
    }

    /** The rows at {@code indices}, in that order. */
    public Features select(int[] indices) {
        double[] v = new double[indices.length * dim];
        for (int k = 0; k < indices.length; k++) System.arraycopy(values, indices[k] * dim, v, k * dim, dim);
        return new Features(network, indices.length, dim, v);
    }

    /** Rows {@code from .. to-1}. */
    public Features slice(int from, int to) {
        return new Features(network, to - from, dim, Arrays.copyOfRange(values, from * dim, to * dim));
    }

    /** Throws unless {@code other} comes from the same network with the same width: comparing across networks means nothing. */
    public void checkComparable(Features other) {
        if (!network.equals(other.network) || dim != other.dim)
            throw new IllegalArgumentException("cannot compare features of " + network + " (" + dim + "-d) with features of "
                    + other.network + " (" + other.dim + "-d): use one feature network for both sets");
    }
}
