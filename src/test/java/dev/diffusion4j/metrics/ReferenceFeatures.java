package dev.diffusion4j.metrics;

import dev.diffusion4j.data.SplitMix64;

/** The feature arrays of bench/fid_reference.py: uniform [-1, 1) rows mixed by a uniform d x d matrix, plus a shift. */
final class ReferenceFeatures {
    private ReferenceFeatures() {}

    static Features of(long seed, int n, int d, double shift) {
        SplitMix64 rng = new SplitMix64(seed);
        double[] base = new double[n * d], w = new double[d * d];
        for (int i = 0; i < base.length; i++) base[i] = 2 * rng.nextDouble() - 1;
        for (int i = 0; i < w.length; i++) w[i] = 2 * rng.nextDouble() - 1;
        double[] x = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) s += base[i * d + k] * w[k * d + j];
                x[i * d + j] = s + shift;
            }
        return new Features("test", n, d, x);
    }
}
