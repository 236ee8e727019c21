package dev.diffusion4j.metrics;

import dev.diffusion4j.data.SplitMix64;
import java.util.stream.IntStream;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

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
        // Subsets run in parallel, each from its own seeded stream, so the result does not depend on thread timing.
        double[] est = IntStream.range(0, subsets).parallel().mapToDouble(s -> {
            SplitMix64 rng = SplitMix64.of(seed, s);
            Features x = real.select(sampleWithoutReplacement(real.count(), m, rng));
            Features y = fake.select(sampleWithoutReplacement(fake.count(), m, rng));
            return unbiasedMmd2(x, y);
        }).toArray();
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
        DMatrixRMaj a = DMatrixRMaj.wrap(m, x.dim(), x.values()), b = DMatrixRMaj.wrap(m, y.dim(), y.values());
        double kxx = kernelSum(a, a, x.dim(), true), kyy = kernelSum(b, b, x.dim(), true), kxy = kernelSum(a, b, x.dim(), false);
        return (kxx + kyy) / ((double) m * (m - 1)) - 2 * kxy / ((double) m * m);
    }

    /** Sum of (a_i . b_j / d + 1)^3 over all pairs, or over i != j; the dot products come from one matrix product. */
    private static double kernelSum(DMatrixRMaj a, DMatrixRMaj b, int d, boolean offDiagonal) {
        DMatrixRMaj dots = new DMatrixRMaj(a.numRows, b.numRows);
        CommonOps_DDRM.multTransB(a, b, dots);
        double s = 0;
        for (int i = 0; i < a.numRows; i++)
            for (int j = 0; j < b.numRows; j++) {
                if (offDiagonal && i == j) continue;
                double t = dots.unsafe_get(i, j) / d + 1;
                s += t * t * t;
            }
        return s;
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
