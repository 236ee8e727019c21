package dev.diffusion4j.metrics;

/**
 * Structural similarity (Wang et al. 2004) with the standard settings: an 11x11 Gaussian window of sigma 1.5, valid
 * positions only, K1 = 0.01, K2 = 0.03 and the data range of images in [-1, 1] (2); the mean SSIM map of each channel,
 * averaged over channels. Images whose sides are under 11 pixels use the largest odd window that fits, so tiny test
 * images still get a value. Computed in double.
 */
public final class Ssim {
    public static final int WINDOW = 11;
    public static final double SIGMA = 1.5, K1 = 0.01, K2 = 0.03;

    private Ssim() {}

    /** SSIM of each of the {@code n} CHW images in {@code a} against {@code b}. */
    public static double[] perImage(float[] a, float[] b, int n, int c, int h, int w) {
        int len = c * h * w;
        if (a.length != b.length || a.length != n * len)
            throw new IllegalArgumentException("SSIM needs two sets of " + n + " images of " + c + "x" + h + "x" + w + ", got " + a.length + " and " + b.length + " values");
        int win = Math.min(WINDOW, Math.min(h, w));
        if (win % 2 == 0) win--;
        double[] g = gaussian(win, SIGMA);
        double c1 = Math.pow(K1 * Psnr.RANGE, 2), c2 = Math.pow(K2 * Psnr.RANGE, 2);
        double[] out = new double[n];
        double[] x = new double[h * w], y = new double[h * w];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int ch = 0; ch < c; ch++) {
                int off = i * len + ch * h * w;
                for (int k = 0; k < h * w; k++) { x[k] = a[off + k]; y[k] = b[off + k]; }
                sum += channel(x, y, h, w, g, c1, c2);
            }
            out[i] = sum / c;
        }
        return out;
    }

    /** The mean of the SSIM map of one channel. */
    static double channel(double[] x, double[] y, int h, int w, double[] g, double c1, double c2) {
        int hw = h * w;
        double[] xx = new double[hw], yy = new double[hw], xy = new double[hw];
        for (int k = 0; k < hw; k++) { xx[k] = x[k] * x[k]; yy[k] = y[k] * y[k]; xy[k] = x[k] * y[k]; }
        int oh = h - g.length + 1, ow = w - g.length + 1;
        double[] mx = filter(x, h, w, g), my = filter(y, h, w, g), sxx = filter(xx, h, w, g), syy = filter(yy, h, w, g), sxy = filter(xy, h, w, g);
        double total = 0;
        for (int k = 0; k < oh * ow; k++) {
            double vx = sxx[k] - mx[k] * mx[k], vy = syy[k] - my[k] * my[k], cov = sxy[k] - mx[k] * my[k];
            total += (2 * mx[k] * my[k] + c1) * (2 * cov + c2) / ((mx[k] * mx[k] + my[k] * my[k] + c1) * (vx + vy + c2));
        }
        return total / (oh * ow);
    }

    /** Separable valid correlation with the window g (rows then columns). */
    private static double[] filter(double[] v, int h, int w, double[] g) {
        int k = g.length, ow = w - k + 1, oh = h - k + 1;
        double[] rows = new double[h * ow];
        for (int r = 0; r < h; r++)
            for (int c = 0; c < ow; c++) {
                double s = 0;
                for (int t = 0; t < k; t++) s += g[t] * v[r * w + c + t];
                rows[r * ow + c] = s;
            }
        double[] out = new double[oh * ow];
        for (int r = 0; r < oh; r++)
            for (int c = 0; c < ow; c++) {
                double s = 0;
                for (int t = 0; t < k; t++) s += g[t] * rows[(r + t) * ow + c];
                out[r * ow + c] = s;
            }
        return out;
    }

    static double[] gaussian(int size, double sigma) {
        double[] g = new double[size];
        double sum = 0;
        for (int i = 0; i < size; i++) {
            double d = i - (size - 1) / 2.0;
            g[i] = Math.exp(-d * d / (2 * sigma * sigma));
            sum += g[i];
        }
        for (int i = 0; i < size; i++) g[i] /= sum;
        return g;
    }
}
