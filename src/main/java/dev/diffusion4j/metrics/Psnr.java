package dev.diffusion4j.metrics;

/**
 * Peak signal-to-noise ratio, 10 log10(range^2 / MSE), per image. Images are NCHW floats in [-1, 1] (range 2), the
 * same numbers as PSNR on [0, 1] images with range 1. Identical images give +Infinity.
 */
public final class Psnr {
    /** The value range of images in [-1, 1]. */
    public static final double RANGE = 2.0;

    private Psnr() {}

    /** PSNR in dB of each of the {@code n} images of length {@code len} in {@code a} against {@code b}. */
    public static double[] perImage(float[] a, float[] b, int n, int len) {
        if (a.length != b.length || a.length != n * len)
            throw new IllegalArgumentException("PSNR needs two sets of " + n + " images of " + len + " values, got " + a.length + " and " + b.length);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double se = 0;
            for (int j = i * len; j < (i + 1) * len; j++) {
                double d = (double) a[j] - b[j];
                se += d * d;
            }
            out[i] = fromMse(se / len);
        }
        return out;
    }

    public static double fromMse(double mse) {
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(RANGE * RANGE / mse);
    }

    /** The mean of per-image values, +Infinity only when every image was reproduced exactly. */
    public static double mean(double[] values) {
        double s = 0;
        for (double v : values) s += v;
        return s / values.length;
    }
}
