package dev.diffusion4j.diffusion.guidance;

/** Column statistics of [N, D] samples stored row-major, and path distances. */
public final class Moments {
    private Moments() {}

    public static double[] column(double[] x, int d, int j) {
        double[] c = new double[x.length / d];
        for (int i = 0; i < c.length; i++) c[i] = x[i * d + j];
        return c;
    }

    public static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    public static double std(double[] v) {
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }

    public static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    public static double rms(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s / a.length);
    }
}
