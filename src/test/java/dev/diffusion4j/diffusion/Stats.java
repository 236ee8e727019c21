package dev.diffusion4j.diffusion;

/** Column moments of an [N, D] sample (row-major doubles). */
final class Stats {
    private Stats() {}

    static double[] mean(double[] x, int d) {
        int n = x.length / d;
        double[] m = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) m[j] += x[i * d + j];
        for (int j = 0; j < d; j++) m[j] /= n;
        return m;
    }

    static double[] std(double[] x, int d) {
        int n = x.length / d;
        double[] m = mean(x, d), v = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) { double e = x[i * d + j] - m[j]; v[j] += e * e; }
        for (int j = 0; j < d; j++) v[j] = Math.sqrt(v[j] / (n - 1));
        return v;
    }

    static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static double rms(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s / a.length);
    }
}
