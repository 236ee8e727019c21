package dev.diffusion4j.metrics;

import dev.diffusion4j.data.SplitMix64;

/**
 * Kernel distance (KID when the features are Inception's, Bińkowski et al. 2018): the unbiased estimate of the squared
 * MMD with the polynomial kernel {@code k(x, y) = (x.y / d + 1)^3}, averaged over random subsets drawn without
 * replacement from each set; reported as mean and (population) standard deviation over the subsets.
 */
public final class KernelDistance {
    public static final int DEFAULT_SUBSETS = 100;
    public static final int DEFAULT_SUBSET_SIZE = 1000;

    /** Mean and standard deviation of the per-subset estimates. */
    public record Result(String network, double mean, double std, int subsets, int subsetSize) {}

    private KernelDistance() {}

    public static Result between(Features real, Features fake, int subsets, int maxSubsetSize, long seed) {
        real.checkComparable(fake);
        if (subsets < 1) throw new IllegalArgumentException("KID needs at least 1 subset, got " + subsets);
        int m = Math.min(maxSubsetSize, Math.min(real.count(), fake.count()));
        if (m < 2) throw new IllegalArgumentException("KID needs at least 2 feature vectors in each set");
        double[] est = new double[subsets];
        SplitMix64 rng = new SplitMix64(seed);
        for (int s = 0; s < subsets; s++) {
            Features x = real.select(sampleWithoutReplacement(real.count(), m, rng));
            Features y = fake.select(sampleWithoutReplacement(fake.count(), m, rng));
            est[s] = unbiasedMmd2(x, y);
        }
        double mean = 0;
        for (double e : est) mean += e;
        mean /= subsets;
        double var = 0;
        for (double e : est) var += (e - mean) * (e - mean);
        return new Result(real.network(), mean, Math.sqrt(var / subsets), subsets, m);
    }

    /** The unbiased squared MMD between two equal-size sets: off-diagonal means of K_xx and K_yy minus twice the mean of K_xy. */
    static double unbiasedMmd2(Features x, Features y) {
        int m = x.count();
        double kxx = offDiagonalSum(x, x), kyy = offDiagonalSum(y, y), kxy = 0;
        for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) kxy += kernel(x, i, y, j);
        return (kxx + kyy) / ((double) m * (m - 1)) - 2 * kxy / ((double) m * m);
    }

    private static double offDiagonalSum(Features a, Features b) {
        int m = a.count();
        double s = 0;
        for (int i = 0; i < m; i++) for (int j = i + 1; j < m; j++) s += kernel(a, i, b, j);
        return 2 * s;
    }

    private static double kernel(Features a, int i, Features b, int j) {
        int d = a.dim();
        double[] av = a.values(), bv = b.values();
        double dot = 0;
        for (int k = 0; k < d; k++) dot += av[i * d + k] * bv[j * d + k];
        double t = dot / d + 1;
        return t * t * t;
    }

    /** m distinct indices of 0..n-1 (a partial Fisher-Yates shuffle). */
    static int[] sampleWithoutReplacement(int n, int m, SplitMix64 rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = 0; i < m; i++) {
            int j = i + rng.nextInt(n - i);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return java.util.Arrays.copyOf(p, m);
    }
}
