package dev.diffusion4j.diffusion.guidance;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * The Bayes-optimal denoiser of 2-D data from a mixture of Gaussians with full covariances, class-conditional: label
 * y < K under "y" selects component y, the null label K (or no conditioning) the mixture with {@code weights}. With
 * x_t = a x_0 + b eps and component k: x_t | k ~ N(a mu_k, S_t = a^2 Sigma_k + b^2 I),
 * E[x_0 | x_t, k] = mu_k + a Sigma_k S_t^-1 (x_t - a mu_k), Cov[x_0 | x_t, k] = Sigma_k - a^2 Sigma_k S_t^-1 Sigma_k,
 * mixed with the posterior responsibilities. A learned variance gets the exact diagonal reverse variance
 * beta~ + coef1^2 Var[x_0 | x_t] (exact for diagonal covariances). When x_t requires grad and every sample asks for
 * one component at one timestep, the output is built from tensor ops so autograd can differentiate it (the
 * posterior mean is affine in x_t). Everything in f64.
 */
public final class GaussianOracle implements Denoiser {
    public static final String LABEL = "y";
    final double[] weights;
    final double[][] means;
    final double[][][] covs;
    final NoiseSchedule base;
    final GaussianDiffusion diffusion;
    final Map<Integer, Integer> indexOfModelT = new HashMap<>();
    final double[] coef1;
    public long calls, rows;

    public GaussianOracle(double[] weights, double[][] means, double[][][] covs, NoiseSchedule base, GaussianDiffusion diffusion) {
        this.weights = weights; this.means = means; this.covs = covs; this.base = base; this.diffusion = diffusion;
        for (int i = 0; i < diffusion.steps(); i++) indexOfModelT.put(diffusion.modelTimestep(i), i);
        coef1 = diffusion.schedule().posteriorMeanCoefsX0();
    }

    public static double[][] diag(double s0, double s1) { return new double[][] {{s0 * s0, 0}, {0, s1 * s1}}; }

    public static double[][] correlated(double s0, double s1, double rho) {
        return new double[][] {{s0 * s0, rho * s0 * s1}, {rho * s0 * s1, s1 * s1}};
    }

    public GaussianOracle with(GaussianDiffusion d) { return new GaussianOracle(weights, means, covs, base, d); }

    public int components() { return weights.length; }

    /** Exact draws: of component {@code label}, or of the mixture for label = K. */
    public Tensor sample(int n, int label, Generator gen) {
        double[] z = Tensor.randn(gen, DType.F64, Device.CPU, n, 2).toDoubleArray();
        double[] out = new double[2 * n];
        for (int i = 0; i < n; i++) {
            int k = label;
            if (k == components()) {
                double u = gen.nextDouble(), acc = 0;
                for (k = 0; k < components() - 1; k++) { acc += weights[k]; if (u < acc) break; }
            }
            double[][] c = covs[k];
            double l00 = Math.sqrt(c[0][0]), l10 = c[1][0] / l00, l11 = Math.sqrt(Math.max(c[1][1] - l10 * l10, 0));
            out[2 * i] = means[k][0] + l00 * z[2 * i];
            out[2 * i + 1] = means[k][1] + l10 * z[2 * i] + l11 * z[2 * i + 1];
        }
        return Tensor.of(out, n, 2);
    }

    public static Conditioning labels(int n, int label) {
        long[] v = new long[n];
        java.util.Arrays.fill(v, label);
        return Conditioning.of(LABEL, Tensor.ofLongs(v, n));
    }

    /** E[x_0 | x_t] at alpha_bar ab for one point, given a component (or the mixture for label = K); var gets the diagonal of Cov. */
    public double[] posteriorMean(double x0, double x1, double ab, int label, double[] var) {
        int kk = components();
        double a = Math.sqrt(ab);
        Level lv = level(ab);
        double[] lk = new double[kk];
        double[][] mk = new double[kk][2];
        for (int k = 0; k < kk; k++) {
            if (label < kk && k != label) { lk[k] = Double.NEGATIVE_INFINITY; continue; }
            double[][] c = covs[k];
            double i00 = lv.inv[k][0], i01 = lv.inv[k][1], i11 = lv.inv[k][2];
            double e0 = x0 - a * means[k][0], e1 = x1 - a * means[k][1];
            double q0 = i00 * e0 + i01 * e1, q1 = i01 * e0 + i11 * e1;   // S^-1 e
            lk[k] = (label < kk ? 0 : lv.logNorm[k]) - 0.5 * (e0 * q0 + e1 * q1);
            mk[k][0] = means[k][0] + a * (c[0][0] * q0 + c[0][1] * q1);
            mk[k][1] = means[k][1] + a * (c[1][0] * q0 + c[1][1] * q1);
        }
        double m = Double.NEGATIVE_INFINITY;
        for (double l : lk) m = Math.max(m, l);
        double z = 0;
        for (double l : lk) z += Math.exp(l - m);
        double[] mean = new double[2], second = new double[2];
        for (int k = 0; k < kk; k++) {
            double r = Math.exp(lk[k] - m) / z;
            if (r == 0) continue;
            for (int j = 0; j < 2; j++) { mean[j] += r * mk[k][j]; second[j] += r * (lv.var[k][j] + mk[k][j] * mk[k][j]); }
        }
        if (var != null) for (int j = 0; j < 2; j++) var[j] = second[j] - mean[j] * mean[j];
        return mean;
    }

    /** Per-component quantities at one noise level: S_t^-1 (00, 01, 11), log weight - log sqrt(det 2 pi S_t), diag Cov[x_0 | x_t]. */
    private record Level(double ab, double[][] inv, double[] logNorm, double[][] var) {}

    private Level cached;

    private Level level(double ab) {
        if (cached != null && cached.ab() == ab) return cached;
        int kk = components();
        double b2 = 1 - ab;
        double[][] inv = new double[kk][3], var = new double[kk][2];
        double[] logNorm = new double[kk];
        for (int k = 0; k < kk; k++) {
            double[][] c = covs[k];
            double s00 = ab * c[0][0] + b2, s01 = ab * c[0][1], s11 = ab * c[1][1] + b2, det = s00 * s11 - s01 * s01;
            double i00 = s11 / det, i01 = -s01 / det, i11 = s00 / det;
            inv[k] = new double[] {i00, i01, i11};
            logNorm[k] = Math.log(weights[k]) - 0.5 * Math.log(4 * Math.PI * Math.PI * det);
            // Sigma - ab Sigma S^-1 Sigma, diagonal
            double g00 = i00 * c[0][0] + i01 * c[1][0], g10 = i01 * c[0][0] + i11 * c[1][0];
            double g01 = i00 * c[0][1] + i01 * c[1][1], g11 = i01 * c[0][1] + i11 * c[1][1];
            var[k][0] = c[0][0] - ab * (c[0][0] * g00 + c[0][1] * g10);
            var[k][1] = c[1][1] - ab * (c[1][0] * g01 + c[1][1] * g11);
        }
        return cached = new Level(ab, inv, logNorm, var);
    }

    double alphaBar(Tensor t, int i, double[] ts) {
        return t.dtype() == DType.I64 ? base.alphaBar((int) ts[i]) : base.alphaBarAt(ts[i]);
    }

    @Override public Tensor apply(Tensor xt, Tensor t, Conditioning cond) {
        calls++;
        int n = xt.shape(0);
        rows += n;
        double[] ts = t.toDoubleArray();
        long[] labels = cond == null || cond.get(LABEL) == null ? null : cond.get(LABEL).toLongArray();
        if (xt.requiresGrad()) return differentiable(xt, t, ts, labels);
        double[] x = xt.toDoubleArray();
        boolean learned = diffusion.varianceType().learned();
        int width = learned ? 4 : 2;
        double[] out = new double[n * width], var = new double[2];
        for (int i = 0; i < n; i++) {
            int label = labels == null ? components() : (int) labels[i];
            double ab = alphaBar(t, i, ts), a = Math.sqrt(ab), b = Math.sqrt(1 - ab);
            double[] m = posteriorMean(x[2 * i], x[2 * i + 1], ab, label, var);
            for (int j = 0; j < 2; j++) {
                double eps = (x[2 * i + j] - a * m[j]) / b;
                out[i * width + j] = switch (diffusion.parameterization()) {
                    case EPS -> eps;
                    case X0 -> m[j];
                    case V -> a * eps - b * m[j];
                };
            }
            if (learned) {
                Integer idx = indexOfModelT.get((int) Math.round(ts[i]));
                if (idx == null || t.dtype() != DType.I64) throw new IllegalStateException("learned variance needs a discrete timestep of the sampled diffusion");
                NoiseSchedule s = diffusion.schedule();
                double c1 = coef1[idx], lo = s.posteriorLogVarianceClipped(idx), hi = Math.log(s.beta(idx));
                for (int j = 0; j < 2; j++) {
                    double logVar = Math.log(s.posteriorVariance(idx) + c1 * c1 * var[j]);
                    out[i * width + 2 + j] = diffusion.varianceType() == VarianceType.LEARNED ? logVar
                            : Math.max(-1, Math.min(1, 2 * (logVar - lo) / (hi - lo) - 1));
                }
            }
        }
        return Tensor.of(out, n, width).to(xt.dtype()).to(xt.device());
    }

    /** x0 = mu + (x_t - a mu) K^T with K = a Sigma S_t^-1, for one component and one timestep, in tensor ops. */
    private Tensor differentiable(Tensor xt, Tensor t, double[] ts, long[] labels) {
        int k = labels == null ? components() : (int) labels[0];
        for (int i = 0; i < ts.length; i++)
            if (ts[i] != ts[0] || (labels != null && labels[i] != k)) throw new IllegalStateException("differentiable oracle needs one timestep and one label");
        if (k == components()) {
            if (components() != 1) throw new IllegalStateException("differentiable oracle covers a single Gaussian");
            k = 0;
        }
        if (diffusion.varianceType().learned()) throw new IllegalStateException("differentiable oracle has no learned variance");
        double ab = alphaBar(t, 0, ts), a = Math.sqrt(ab), b = Math.sqrt(1 - ab);
        double[][] c = covs[k];
        double s00 = ab * c[0][0] + 1 - ab, s01 = ab * c[0][1], s11 = ab * c[1][1] + 1 - ab, det = s00 * s11 - s01 * s01;
        double i00 = s11 / det, i01 = -s01 / det, i11 = s00 / det;
        double k00 = a * (c[0][0] * i00 + c[0][1] * i01), k01 = a * (c[0][0] * i01 + c[0][1] * i11);
        double k10 = a * (c[1][0] * i00 + c[1][1] * i01), k11 = a * (c[1][0] * i01 + c[1][1] * i11);
        Tensor mu = Tensor.of(means[k], 1, 2).to(xt.dtype());
        Tensor kt = Tensor.of(new double[] {k00, k10, k01, k11}, 2, 2).to(xt.dtype());
        Tensor x0 = xt.sub(mu.mul(a)).matmul(kt).add(mu);
        Tensor eps = xt.sub(x0.mul(a)).div(b);
        return switch (diffusion.parameterization()) {
            case EPS -> eps;
            case X0 -> x0;
            case V -> eps.mul(a).sub(x0.mul(b));
        };
    }

    /**
     * log p(y | x_t) of the mixture's exact Bayes classifier in tensor ops (differentiable in x_t), for labels [N]
     * and alpha_bar per sample from the training timesteps t.
     */
    public Tensor logPosterior(Tensor xt, Tensor t, long[] labels) {
        double[] ts = t.toDoubleArray();
        int n = xt.shape(0), kk = components();
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = Math.sqrt(alphaBar(t, i, ts));
        Tensor[] logJoint = new Tensor[kk];
        Tensor x0 = xt.slice(1, 0, 1), x1 = xt.slice(1, 1, 2);
        for (int k = 0; k < kk; k++) {
            double[] p00 = new double[n], p01 = new double[n], p11 = new double[n], m0 = new double[n], m1 = new double[n], cst = new double[n];
            double[][] c = covs[k];
            for (int i = 0; i < n; i++) {
                double ab = a[i] * a[i], s00 = ab * c[0][0] + 1 - ab, s01 = ab * c[0][1], s11 = ab * c[1][1] + 1 - ab, det = s00 * s11 - s01 * s01;
                p00[i] = s11 / det; p01[i] = -s01 / det; p11[i] = s00 / det;
                m0[i] = a[i] * means[k][0]; m1[i] = a[i] * means[k][1];
                cst[i] = Math.log(weights[k]) - 0.5 * Math.log(4 * Math.PI * Math.PI * det);
            }
            Tensor e0 = x0.sub(col(m0, xt)), e1 = x1.sub(col(m1, xt));
            Tensor quad = e0.square().mul(col(p00, xt)).add(e0.mul(e1).mul(col(p01, xt)).mul(2)).add(e1.square().mul(col(p11, xt)));
            logJoint[k] = quad.mul(-0.5).add(col(cst, xt));
        }
        Tensor lj = Tensor.cat(1, logJoint);                      // [N, K]
        Tensor logPost = lj.sub(lj.logsumexp(1, true));
        double[] onehot = new double[n * kk];
        for (int i = 0; i < n; i++) onehot[i * kk + (int) labels[i]] = 1;
        return logPost.mul(Tensor.of(onehot, n, kk).to(xt.dtype())).sum(1, false);
    }

    private static Tensor col(double[] v, Tensor like) { return Tensor.of(v, v.length, 1).to(like.dtype()); }
}
