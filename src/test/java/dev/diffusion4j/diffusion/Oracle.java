package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * The Bayes-optimal denoiser for data drawn from a mixture of axis-aligned Gaussians (one component: Gaussian data),
 * computed in closed form in f64. With x_t = a x_0 + b eps and component k ~ N(mu_k, diag s_k^2):
 * x_t | k ~ N(a mu_k, a^2 s_k^2 + b^2), E[x_0 | x_t, k] = mu_k + a s_k^2 / (a^2 s_k^2 + b^2) (x_t - a mu_k),
 * Var[x_0 | x_t, k] = s_k^2 b^2 / (a^2 s_k^2 + b^2), mixed with the posterior component responsibilities.
 * For learned variances it also outputs the exact reverse variance beta~_t + coef1_t^2 Var[x_0 | x_t] (diagonal part),
 * which makes p(x_{t-1}|x_t) the true reverse conditional for Gaussian data.
 */
final class Oracle implements Denoiser {
    final double[] weights;
    final double[][] means, stds;
    final NoiseSchedule base;              // the training schedule: t is in its units
    final GaussianDiffusion diffusion;     // what is sampled (possibly respaced): gives parameterisation and variance
    final Map<Integer, Integer> indexOfModelT = new HashMap<>();
    final double[] coef1, postVar, minLog, maxLog;
    int rangeClamps;                        // learned-range outputs that had to be clamped into [-1, 1]
    long calls;

    Oracle(double[] weights, double[][] means, double[][] stds, NoiseSchedule base, GaussianDiffusion diffusion) {
        this.weights = weights; this.means = means; this.stds = stds; this.base = base; this.diffusion = diffusion;
        for (int i = 0; i < diffusion.steps(); i++) indexOfModelT.put(diffusion.modelTimestep(i), i);
        NoiseSchedule s = diffusion.schedule();
        coef1 = s.posteriorMeanCoefsX0();
        postVar = s.posteriorVariances();
        minLog = s.posteriorLogVariancesClipped();
        maxLog = s.betas();
        for (int i = 0; i < maxLog.length; i++) maxLog[i] = Math.log(maxLog[i]);
    }

    static Oracle gaussian(double[] mean, double[] std, NoiseSchedule base, GaussianDiffusion d) {
        return new Oracle(new double[] {1}, new double[][] {mean}, new double[][] {std}, base, d);
    }

    Oracle with(GaussianDiffusion d) { return new Oracle(weights, means, stds, base, d); }

    int dims() { return means[0].length; }

    /** Exact draws from the data distribution. */
    Tensor sample(int n, Generator gen) {
        int d = dims();
        double[] z = Tensor.randn(gen, DType.F64, dev.diffusion4j.engine.Device.CPU, n, d).toDoubleArray();
        double[] out = new double[n * d];
        for (int i = 0; i < n; i++) {
            double u = gen.nextDouble(), acc = 0;
            int k = 0;
            for (; k < weights.length - 1; k++) { acc += weights[k]; if (u < acc) break; }
            for (int j = 0; j < d; j++) out[i * d + j] = means[k][j] + stds[k][j] * z[i * d + j];
        }
        return Tensor.of(out, n, d);
    }

    /** log density of the data at each row of x. */
    double[] logDensity(double[] x) {
        int d = dims(), n = x.length / d;
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            double[] lk = new double[weights.length];
            for (int k = 0; k < weights.length; k++) {
                double l = Math.log(weights[k]);
                for (int j = 0; j < d; j++) {
                    double v = stds[k][j] * stds[k][j], e = x[i * d + j] - means[k][j];
                    l += -0.5 * (Math.log(2 * Math.PI * v) + e * e / v);
                }
                lk[k] = l;
            }
            r[i] = logSumExp(lk);
        }
        return r;
    }

    static double logSumExp(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : v) m = Math.max(m, x);
        double s = 0;
        for (double x : v) s += Math.exp(x - m);
        return m + Math.log(s);
    }

    @Override public Tensor apply(Tensor xt, Tensor t, Conditioning cond) {
        calls++;
        int d = dims(), n = xt.shape(0);
        double[] x = xt.toDoubleArray(), ts = t.toDoubleArray();
        // integer timesteps mean the schedule's table, floating ones the continuous schedule (see Denoiser)
        boolean discrete = t.dtype() == DType.I64;
        boolean learned = diffusion.varianceType().learned();
        int width = learned ? 2 * d : d;
        double[] out = new double[n * width];
        double[] m = new double[d], v0 = new double[d], lk = new double[weights.length];
        double[][] mk = new double[weights.length][d], vk = new double[weights.length][d];
        for (int i = 0; i < n; i++) {
            double ab = discrete ? base.alphaBar((int) ts[i]) : base.alphaBarAt(ts[i]), a = Math.sqrt(ab), b2 = 1 - ab, b = Math.sqrt(b2);
            for (int k = 0; k < weights.length; k++) {
                double l = Math.log(weights[k]);
                for (int j = 0; j < d; j++) {
                    double s2 = stds[k][j] * stds[k][j], var = ab * s2 + b2, e = x[i * d + j] - a * means[k][j];
                    l += -0.5 * (Math.log(2 * Math.PI * var) + e * e / var);
                    mk[k][j] = means[k][j] + a * s2 / var * e;
                    vk[k][j] = s2 * b2 / var;
                }
                lk[k] = l;
            }
            double lse = logSumExp(lk);
            java.util.Arrays.fill(m, 0);
            java.util.Arrays.fill(v0, 0);
            for (int k = 0; k < weights.length; k++) {
                double r = Math.exp(lk[k] - lse);
                for (int j = 0; j < d; j++) { m[j] += r * mk[k][j]; v0[j] += r * (vk[k][j] + mk[k][j] * mk[k][j]); }
            }
            for (int j = 0; j < d; j++) {
                v0[j] -= m[j] * m[j];
                double xv = x[i * d + j];
                double eps = (xv - a * m[j]) / b;
                out[i * width + j] = switch (diffusion.parameterization()) {
                    case EPS -> eps;
                    case X0 -> m[j];
                    case V -> a * eps - b * m[j];
                };
            }
            if (learned) {
                Integer idx = indexOfModelT.get((int) Math.round(ts[i]));
                if (idx == null || ts[i] != Math.rint(ts[i])) throw new IllegalStateException("learned variance needs a discrete timestep of the sampled diffusion, got " + ts[i]);
                double c1 = coef1[idx], lo = minLog[idx], hi = maxLog[idx];
                for (int j = 0; j < d; j++) {
                    double logVar = Math.log(postVar[idx] + c1 * c1 * v0[j]);
                    double o;
                    if (diffusion.varianceType() == VarianceType.LEARNED) o = logVar;
                    else {
                        o = 2 * (logVar - lo) / (hi - lo) - 1;
                        if (o < -1 - 1e-9 || o > 1 + 1e-9) { rangeClamps++; o = Math.max(-1, Math.min(1, o)); }
                    }
                    out[i * width + d + j] = o;
                }
            }
        }
        return Tensor.of(out, n, width).to(xt.dtype()).to(xt.device());
    }
}
