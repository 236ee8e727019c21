package dev.diffusion4j.metrics;

import java.util.Locale;

/**
 * Mean and unbiased (N-1) covariance of a feature set in float64: what the Fréchet distance compares, and what is
 * cached for a reference set.
 *
 * @param covariance row-major {@code dim x dim}
 */
public record GaussianStats(String network, int count, int dim, double[] mean, double[] covariance) {
    public GaussianStats {
        if (mean.length != dim || covariance.length != dim * dim)
            throw new IllegalArgumentException("stats of dim " + dim + " need " + dim + " means and " + dim * dim + " covariances");
        if (count < 2) throw new IllegalArgumentException("statistics need at least 2 samples, got " + count);
    }

    public static GaussianStats of(Features f) {
        int n = f.count(), d = f.dim();
        if (n < 2) throw new IllegalArgumentException("statistics need at least 2 feature vectors, got " + n);
        double[] x = f.values();
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += x[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        // Centre first, then X^T X / (N-1): two passes keep the float64 sums accurate.
        double[] c = new double[n * d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) c[i * d + j] = x[i * d + j] - mean[j];
        double[] cov = new double[d * d];
        java.util.stream.IntStream.range(0, d).parallel().forEach(a -> {
            for (int b = a; b < d; b++) {
                double s = 0;
                for (int i = 0; i < n; i++) s += c[i * d + a] * c[i * d + b];
                s /= n - 1;
                cov[a * d + b] = s;
                cov[b * d + a] = s;
            }
        });
        return new GaussianStats(f.network(), n, d, mean, cov);
    }

    /** A warning when fewer samples than dimensions make the covariance singular (the distance is then biased), else null. */
    public String singularWarning() {
        if (count > dim) return null;
        return String.format(Locale.ROOT, "%d samples for %d-d %s features: the covariance is singular and the distance is unreliable;"
                + " use more than %d images", count, dim, network, dim);
    }
}
