package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;

/**
 * Fused group norm (with an optional SiLU epilogue) and layer norm, forward and backward.
 * <p>Both normalise "rows" of a contiguous tensor: group norm's rows are (n, group) blocks of cg channels x spatial
 * elements, layer norm's rows are the last dims. The f32 kernels are specialised for each layout (one pass for the
 * statistics in double, one pass that writes the output; parallel over rows); the f64 path is one plain reference
 * implementation for both, used by the gradient checks.
 */
final class CpuNorm {
    private CpuNorm() {}

    /** x itself when its elements are one contiguous run (possibly at an offset), else a contiguous copy. */
    static Tensor dense(Tensor x) { return x.isContiguous() ? x : CpuElementwise.contiguous(x); }

    private static int grain(long elementsPerRow) { return (int) Math.max(1, (1 << 15) / Math.max(1, elementsPerRow)); }

    private static void requireSame(Tensor x, Tensor p, String what) {
        if (p != null && p.dtype() != x.dtype())
            throw new IllegalArgumentException(what + " is " + p.dtype().id() + " but the input is " + x.dtype().id());
    }

    // ------------------------------------------------------------------ group norm

    static Tensor[] groupNormForward(Tensor x, int groups, Tensor weight, Tensor bias, double eps, boolean silu) {
        CpuElementwise.requireFloat(x, "groupNorm");
        requireSame(x, weight, "groupNorm weight");
        requireSame(x, bias, "groupNorm bias");
        int[] shape = x.shape();
        requireGroups(shape, groups);
        int n = shape[0], c = shape[1], cg = c / groups;
        int spatial = spatialSize(shape);
        int rows = n * groups, m = cg * spatial;
        Tensor xd = dense(x);
        Tensor y = CpuElementwise.alloc(shape, x.dtype());
        Tensor mean = CpuElementwise.alloc(new int[] {n, groups}, x.dtype()), rstd = CpuElementwise.alloc(new int[] {n, groups}, x.dtype());
        int xo = xd.offset();
        if (x.dtype() == DType.F32) {
            float[] xa = f32(xd), ya = f32(y), ma = p32(mean), ra = p32(rstd), wa = p32(weight), ba = p32(bias);
            Parallel.forRange(rows, grain(m), (lo, hi) -> {
                double[] mom = new double[2];
                for (int r = lo; r < hi; r++) {
                    int base = r * m;
                    double[] st = moments(xa, xo + base, m, eps, mom);
                    double mu = st[0], rs = st[1];
                    ma[r] = (float) mu;
                    ra[r] = (float) rs;
                    int g = r % groups;
                    for (int j = 0; j < cg; j++) {
                        int ch = g * cg + j;
                        // per channel the whole map (and its affine) is y = a x + b
                        double a = (wa == null ? 1 : wa[ch]) * rs;
                        double b = (ba == null ? 0 : ba[ch]) - mu * a;
                        FloatKernels.affine(xa, xo + base + j * spatial, ya, base + j * spatial, spatial, (float) a, (float) b, silu);
                    }
                }
            });
        } else {
            double[] ma = p64(mean), ra = p64(rstd);
            forward64(f64(xd), xo, f64(y), ma, ra, p64(weight), p64(bias), rows, cg, spatial, groups, eps, silu);
        }
        return new Tensor[] {y, mean, rstd};
    }

    static Tensor[] groupNormBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int groups, boolean silu) {
        CpuElementwise.requireFloat(x, "groupNorm backward");
        int[] shape = x.shape();
        requireGroups(shape, groups);
        int n = shape[0], c = shape[1], cg = c / groups;
        int spatial = spatialSize(shape);
        int rows = n * groups, m = cg * spatial;
        Tensor xd = dense(x), gd = dense(gy);
        Tensor dx = CpuElementwise.alloc(shape, x.dtype());
        double[] dw = new double[c], db = new double[c];
        int xo = xd.offset(), go = gd.offset();
        if (x.dtype() == DType.F32) {
            float[] xa = f32(xd), ga = f32(gd), dxa = f32(dx), ma = p32(mean), ra = p32(rstd), wa = p32(weight), ba = p32(bias);
            OrderedPartials parts = new OrderedPartials();
            Parallel.forRange(rows, grain(m), (lo, hi) -> {
                double[] pw = new double[c], pb = new double[c], mom = new double[2];
                for (int r = lo; r < hi; r++) {
                    int base = r * m, g = r % groups;
                    double mu = ma[r], rs = ra[r], sum1 = 0, sum2 = 0;
                    // pass 1: per-channel sums of gz and gz*xhat (gz = gradient at the norm's affine output)
                    for (int j = 0; j < cg; j++) {
                        int ch = g * cg + j, off = base + j * spatial;
                        double wc = wa == null ? 1 : wa[ch];
                        if (silu) {
                            double a = wc * rs, b = (ba == null ? 0 : ba[ch]) - mu * a;
                            // gz is parked in dx and read back by pass 2
                            FloatKernels.siluGradMoments(xa, xo + off, ga, go + off, dxa, off, spatial, (float) a, (float) b, mom);
                        } else {
                            FloatKernels.dotMoments(ga, go + off, xa, xo + off, spatial, mom);
                        }
                        double sg = mom[0], sgx = rs * (mom[1] - mu * sg);
                        pw[ch] += sgx;
                        pb[ch] += sg;
                        sum1 += wc * sg;
                        sum2 += wc * sgx;
                    }
                    // pass 2: dx = rstd (w gz - mean(w gz) - xhat mean(w gz xhat)), expanded to A gz + K x + C per channel
                    double m1 = sum1 / m, m2 = sum2 / m, k = rs * rs * m2, cst = k * mu - rs * m1;
                    float kf = (float) -k, cf = (float) cst;
                    for (int j = 0; j < cg; j++) {
                        int ch = g * cg + j, off = base + j * spatial;
                        float af = (float) ((wa == null ? 1 : wa[ch]) * rs);
                        if (silu) FloatKernels.lincomb(dxa, off, xa, xo + off, dxa, off, spatial, af, kf, cf);
                        else FloatKernels.lincomb(ga, go + off, xa, xo + off, dxa, off, spatial, af, kf, cf);
                    }
                }
                parts.put(lo, pw, pb);
            });
            parts.addInto(dw, db);
        } else {
            backward64(f64(gd), go, f64(xd), xo, p64(mean), p64(rstd), p64(weight), p64(bias), f64(dx), dw, db,
                    rows, cg, spatial, groups, silu);
        }
        return new Tensor[] {dx, paramGrad(dw, weight), paramGrad(db, bias)};
    }

    /** Backends may be called directly, so the layout the loops rely on is checked here too (NnOps has the friendly messages). */
    private static void requireGroups(int[] shape, int groups) {
        if (shape.length < 2 || groups <= 0 || shape[1] % groups != 0)
            throw new IllegalArgumentException("groupNorm: shape " + Arrays.toString(shape) + " does not split into " + groups + " groups");
    }

    private static int spatialSize(int[] shape) {
        int s = 1;
        for (int i = 2; i < shape.length; i++) s *= shape[i];
        return s;
    }

    // ------------------------------------------------------------------ layer norm

    static Tensor[] layerNormForward(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        CpuElementwise.requireFloat(x, "layerNorm");
        requireSame(x, weight, "layerNorm weight");
        requireSame(x, bias, "layerNorm bias");
        int[] shape = x.shape();
        int d = cols(shape, normalizedDims);
        int rows = d == 0 ? 0 : (int) (x.numel() / d);
        int[] statShape = Arrays.copyOf(shape, shape.length - normalizedDims);
        Tensor xd = dense(x);
        Tensor y = CpuElementwise.alloc(shape, x.dtype());
        Tensor mean = CpuElementwise.alloc(statShape, x.dtype()), rstd = CpuElementwise.alloc(statShape, x.dtype());
        int xo = xd.offset();
        if (x.dtype() == DType.F32) {
            float[] xa = f32(xd), ya = f32(y), ma = p32(mean), ra = p32(rstd);
            float[] wa = weight == null ? filled(d, 1f) : p32(weight), ba = bias == null ? new float[d] : p32(bias);
            Parallel.forRange(rows, grain(d), (lo, hi) -> {
                double[] mom = new double[2];
                for (int r = lo; r < hi; r++) {
                    int xr = xo + r * d, yr = r * d;
                    double[] st = moments(xa, xr, d, eps, mom);
                    float mu = (float) st[0], rs = (float) st[1];
                    ma[r] = mu;
                    ra[r] = rs;
                    FloatKernels.layerNormRow(xa, xr, wa, ba, ya, yr, d, mu, rs);
                }
            });
        } else {
            forward64(f64(xd), xo, f64(y), p64(mean), p64(rstd), p64(weight), p64(bias), rows, d, 1, 1, eps, false);
        }
        return new Tensor[] {y, mean, rstd};
    }

    static Tensor[] layerNormBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int normalizedDims) {
        CpuElementwise.requireFloat(x, "layerNorm backward");
        int[] shape = x.shape();
        int d = cols(shape, normalizedDims);
        int rows = d == 0 ? 0 : (int) (x.numel() / d);
        Tensor xd = dense(x), gd = dense(gy);
        Tensor dx = CpuElementwise.alloc(shape, x.dtype());
        double[] dw = new double[d], db = new double[d];
        int xo = xd.offset(), go = gd.offset();
        if (x.dtype() == DType.F32) {
            float[] xa = f32(xd), ga = f32(gd), dxa = f32(dx), ma = p32(mean), ra = p32(rstd);
            float[] wa = weight == null ? filled(d, 1f) : p32(weight);
            OrderedPartials parts = new OrderedPartials();
            Parallel.forRange(rows, grain(d), (lo, hi) -> {
                double[] pw = new double[d], pb = new double[d], mom = new double[2];
                for (int r = lo; r < hi; r++) {
                    int xr = xo + r * d, gr = go + r * d, dr = r * d;
                    float mu = ma[r], rs = ra[r];
                    FloatKernels.layerNormGradSums(xa, xr, ga, gr, wa, mu, rs, pw, pb, d, mom);
                    FloatKernels.layerNormGradRow(xa, xr, ga, gr, wa, dxa, dr, d, mu, rs, (float) (mom[0] / d), (float) (mom[1] / d));
                }
                parts.put(lo, pw, pb);
            });
            parts.addInto(dw, db);
        } else {
            backward64(f64(gd), go, f64(xd), xo, p64(mean), p64(rstd), p64(weight), p64(bias), f64(dx), dw, db, rows, d, 1, 1, false);
        }
        return new Tensor[] {dx, paramGrad(dw, weight), paramGrad(db, bias)};
    }

    private static int cols(int[] shape, int normalizedDims) {
        int d = 1;
        for (int i = shape.length - normalizedDims; i < shape.length; i++) d *= shape[i];
        return d;
    }

    // ------------------------------------------------------------------ shared pieces

    /** {mean, rstd} of x[o, o+n) from one pass of shifted sums (shifting by the first element avoids cancellation). */
    private static double[] moments(float[] x, int o, int n, double eps, double[] out) {
        if (n == 0) { out[0] = 0; out[1] = 1 / Math.sqrt(eps); return out; }
        float shift = x[o];
        FloatKernels.shiftedMoments(x, o, n, shift, out);
        double d = out[0] / n, var = Math.max(0, out[1] / n - d * d);
        out[0] = shift + d;
        out[1] = 1 / Math.sqrt(var + eps);
        return out;
    }

    /**
     * The f64 reference for both norms: rows of cg channels x spatial elements starting at xo + row*cg*spatial; element
     * (row, j, s) uses the affine params of channel (row % groups) * cg + j. Two-pass statistics for full accuracy.
     */
    private static void forward64(double[] x, int xo, double[] y, double[] mean, double[] rstd, double[] w, double[] b,
                                  int rows, int cg, int spatial, int groups, double eps, boolean silu) {
        int m = cg * spatial;
        Parallel.forRange(rows, grain(m), (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int base = r * m, ch0 = (r % groups) * cg;
                double s = 0;
                for (int i = 0; i < m; i++) s += x[xo + base + i];
                double mu = m == 0 ? 0 : s / m, v = 0;
                for (int i = 0; i < m; i++) { double dlt = x[xo + base + i] - mu; v += dlt * dlt; }
                double rs = 1 / Math.sqrt((m == 0 ? 0 : v / m) + eps);
                mean[r] = mu;
                rstd[r] = rs;
                for (int j = 0; j < cg; j++) {
                    double wc = w == null ? 1 : w[ch0 + j], bc = b == null ? 0 : b[ch0 + j];
                    for (int k = 0; k < spatial; k++) {
                        int i = base + j * spatial + k;
                        double z = (x[xo + i] - mu) * rs * wc + bc;
                        y[i] = silu ? z * sigmoid(z) : z;
                    }
                }
            }
        });
    }

    private static void backward64(double[] gy, int go, double[] x, int xo, double[] mean, double[] rstd, double[] w, double[] b,
                                   double[] dx, double[] dw, double[] db, int rows, int cg, int spatial, int groups, boolean silu) {
        int m = cg * spatial, channels = groups * cg;
        OrderedPartials parts = new OrderedPartials();
        Parallel.forRange(rows, grain(m), (lo, hi) -> {
            double[] pw = new double[channels], pb = new double[channels];
            for (int r = lo; r < hi; r++) {
                int base = r * m, ch0 = (r % groups) * cg;
                double mu = mean[r], rs = rstd[r], sum1 = 0, sum2 = 0;
                for (int j = 0; j < cg; j++) {
                    double wc = w == null ? 1 : w[ch0 + j], bc = b == null ? 0 : b[ch0 + j];
                    for (int k = 0; k < spatial; k++) {
                        int i = base + j * spatial + k;
                        double xh = (x[xo + i] - mu) * rs, g = gy[go + i];
                        if (silu) {
                            double z = xh * wc + bc, sg = sigmoid(z);
                            g *= sg * (1 + z * (1 - sg));
                        }
                        dx[i] = g;  // gz, consumed below
                        pw[ch0 + j] += g * xh;
                        pb[ch0 + j] += g;
                        sum1 += g * wc;
                        sum2 += g * wc * xh;
                    }
                }
                double m1 = sum1 / m, m2 = sum2 / m;
                for (int j = 0; j < cg; j++) {
                    double wc = w == null ? 1 : w[ch0 + j];
                    for (int k = 0; k < spatial; k++) {
                        int i = base + j * spatial + k;
                        double xh = (x[xo + i] - mu) * rs;
                        dx[i] = rs * (wc * dx[i] - m1 - xh * m2);
                    }
                }
            }
            parts.put(lo, pw, pb);
        });
        parts.addInto(dw, db);
    }

    private static double sigmoid(double z) { return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)); }


    /** The accumulated gradient of an affine param in its own shape and dtype, or null when there is no such param. */
    private static Tensor paramGrad(double[] acc, Tensor param) {
        if (param == null) return null;
        Tensor out = CpuElementwise.alloc(param.shape(), param.dtype());
        if (param.dtype() == DType.F32) {
            float[] o = f32(out);
            for (int i = 0; i < acc.length; i++) o[i] = (float) acc[i];
        } else System.arraycopy(acc, 0, f64(out), 0, acc.length);
        return out;
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    /** The backing array of a dense tensor (read together with its offset) or of a kernel output. */
    private static float[] f32(Tensor t) { return CpuElementwise.st(t).f32(); }
    private static double[] f64(Tensor t) { return CpuElementwise.st(t).f64(); }

    /** The array of a small tensor (affine params, statistics) made offset-free and contiguous; null stays null. */
    private static float[] p32(Tensor t) { return t == null ? null : CpuElementwise.st(CpuElementwise.contiguous(t)).f32(); }
    private static double[] p64(Tensor t) { return t == null ? null : CpuElementwise.st(CpuElementwise.contiguous(t)).f64(); }
}
