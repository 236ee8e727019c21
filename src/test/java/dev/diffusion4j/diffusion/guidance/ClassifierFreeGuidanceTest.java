package dev.diffusion4j.diffusion.guidance;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.DdpmSampler;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.KarrasSampler;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Classifier-free guidance driven by exact denoisers: class y has data N(mu_y, Sigma_y), the unconditional model is
 * the mixture, and the null label is K. Stochastic checks allow 4 standard errors (s/sqrt(n) for means,
 * s/sqrt(2n) for stds); deterministic samplers are compared path by path with an RK4 solution of the guided
 * probability-flow ODE, which removes Monte-Carlo error.
 */
class ClassifierFreeGuidanceTest {
    static final NullCondition NULL = NullCondition.label(GaussianOracle.LABEL, 2);

    static Tensor noise(long seed, int n) { return Tensor.randn(new Generator(seed), DType.F64, Device.CPU, n, 2); }

    static Conditioning halfAndHalf(int n) {
        long[] y = new long[n];
        for (int i = n / 2; i < n; i++) y[i] = 1;
        return Conditioning.of(GaussianOracle.LABEL, Tensor.ofLongs(y, n));
    }

    @Test
    void scaleOneIsConditionalAndScaleZeroIsUnconditional() {
        // well separated classes (3 apart, std 0.35 along the axis): nearest-mean assignment errs with p ~ 1e-5
        double[][] mu = {{-1.5, 0.3}, {1.5, 0.3}};
        double[][][] cov = {GaussianOracle.diag(0.35, 0.5), GaussianOracle.diag(0.35, 0.5)};
        double[] w = {0.7, 0.3};
        NoiseSchedule base = NoiseSchedule.linear(1000);
        // the exact learned variance makes ancestral sampling of a Gaussian exact at any step count
        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.LEARNED_RANGE).respaced("100");
        GaussianOracle o = new GaussianOracle(w, mu, cov, base, d);
        int n = 10_000;
        double[] x = new DdpmSampler(d).sample(new ClassifierFreeGuidance(o, NULL, 1), noise(1, n), halfAndHalf(n), new Generator(2), null).toDoubleArray();
        assertEquals(d.steps(), o.calls, "w = 1 needs only the conditional branch");
        for (int y = 0; y < 2; y++) {
            double[] part = java.util.Arrays.copyOfRange(x, y * n, (y + 1) * n);   // rows n/2*y .. as [n/2, 2]
            for (int j = 0; j < 2; j++) {
                double[] c = Moments.column(part, 2, j);
                double s = Math.sqrt(cov[y][j][j]), m = Moments.mean(c), sd = Moments.std(c);
                System.out.printf("cfg w=1 class %d dim %d: mean err %+.4f (tol %.4f) std err %+.4f (tol %.4f)%n", y, j, m - mu[y][j], 4 * s / Math.sqrt(n / 2.0), sd - s, 4 * s / Math.sqrt(n));
                assertEquals(mu[y][j], m, 4 * s / Math.sqrt(n / 2.0), "w = 1 mean, class " + y + " dim " + j);
                assertEquals(s, sd, 4 * s / Math.sqrt(n), "w = 1 std, class " + y + " dim " + j);
            }
        }
        // w = 0: whatever the label, the mixture (weights and per-component moments)
        o.calls = 0;
        double[] u = new DdpmSampler(d).sample(new ClassifierFreeGuidance(o, NULL, 0), noise(3, n), halfAndHalf(n), new Generator(4), null).toDoubleArray();
        assertEquals(d.steps(), o.calls, "w = 0 needs only the unconditional branch");
        int[] count = new int[2];
        double[][] sum = new double[2][2], sq = new double[2][2];
        for (int i = 0; i < n; i++) {
            int k = u[2 * i] > 0 ? 1 : 0;
            count[k]++;
            for (int j = 0; j < 2; j++) { sum[k][j] += u[2 * i + j]; sq[k][j] += u[2 * i + j] * u[2 * i + j]; }
        }
        for (int k = 0; k < 2; k++) {
            double wk = count[k] / (double) n, tolW = 4 * Math.sqrt(w[k] * (1 - w[k]) / n);
            System.out.printf("cfg w=0 weight %d: %+.4f (tol %.4f)%n", k, wk - w[k], tolW);
            assertEquals(w[k], wk, tolW, "w = 0 mixture weight " + k);
            for (int j = 0; j < 2; j++) {
                double m = sum[k][j] / count[k], sd = Math.sqrt(sq[k][j] / count[k] - m * m), s = Math.sqrt(cov[k][j][j]);
                // the learned variance of a mixture posterior is only approximately Gaussian: 5% of s for discretisation
                assertEquals(mu[k][j], m, 4 * s / Math.sqrt(count[k]) + 0.05 * s, "w = 0 component mean");
                assertEquals(s, sd, 4 * s / Math.sqrt(2.0 * count[k]) + 0.05 * s, "w = 0 component std");
            }
        }
    }

    @Test
    void scaleAboveOneFollowsTheExactGuidedFlowAndSharpensMonotonically() {
        // overlapping classes that differ only along dim 0, so guidance acts on dim 0 and leaves dim 1 conditional
        double[][] mu = {{-0.6, 0.2}, {0.6, 0.2}};
        double[][][] cov = {GaussianOracle.diag(0.5, 0.4), GaussianOracle.diag(0.5, 0.4)};
        NoiseSchedule base = NoiseSchedule.linear(1000);
        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL);
        GaussianOracle o = new GaussianOracle(new double[] {0.5, 0.5}, mu, cov, base, d);
        int n = 1_000;
        Tensor z = noise(5, n);
        KarrasSampler heun = new KarrasSampler(d, KarrasSampler.Method.HEUN, 80);
        double[] sig = heun.sigmas();
        double[] ws = {1, 2, 4};
        double[] means = new double[3], stds = new double[3];
        double[] dim1AtOne = null;
        for (int k = 0; k < ws.length; k++) {
            double w = ws[k];
            ExactFlow.PosteriorMean guided = (a0, a1, ab) -> {
                double[] c = o.posteriorMean(a0, a1, ab, 1, null), u = o.posteriorMean(a0, a1, ab, 2, null);
                return new double[] {u[0] + w * (c[0] - u[0]), u[1] + w * (c[1] - u[1])};
            };
            double[] exact = ExactFlow.integrate(z.toDoubleArray(), sig[0], sig[sig.length - 2], 160, guided);
            o.calls = 0;
            o.rows = 0;
            double[] x = heun.sample(new ClassifierFreeGuidance(o, NULL, w), z, GaussianOracle.labels(n, 1), new Generator(0), null).toDoubleArray();
            if (w != 1) assertEquals(2L * n * o.calls, o.rows, "both branches in one doubled call");
            double err = Moments.rms(x, exact);
            double[] e0 = Moments.column(exact, 2, 0);
            means[k] = Moments.mean(e0);
            stds[k] = Moments.std(e0);
            System.out.printf("cfg w=%.0f: exact flow dim0 mean %.4f std %.4f, dim1 std %.4f; heun 80 path RMS error %.2e%n",
                    w, means[k], stds[k], Moments.std(Moments.column(exact, 2, 1)), err);
            assertTrue(err < 2e-3, "Heun vs exact guided flow at w = " + w + ": " + err);
            double[] dim1 = Moments.column(x, 2, 1);
            if (dim1AtOne == null) dim1AtOne = dim1;
            else assertTrue(Moments.maxAbsDiff(dim1, dim1AtOne) < 1e-9, "guidance must not touch the dimension the classes share");
        }
        // w = 1 is the conditional N(0.6, 0.5^2) (4 standard errors with n = 1000)
        assertEquals(0.6, means[0], 4 * 0.5 / Math.sqrt(n));
        assertEquals(0.5, stds[0], 4 * 0.5 / Math.sqrt(2.0 * n));
        // stronger guidance pushes away from the other class and narrows along the class axis
        // (same noise for every w, so these differences carry no Monte-Carlo noise of their own)
        assertTrue(means[1] > means[0] + 0.1 && means[2] > means[1] + 0.1, "mean moves away from class 0: " + java.util.Arrays.toString(means));
        assertTrue(stds[1] < stds[0] - 0.02 && stds[2] < stds[1] - 0.02, "std shrinks with w: " + java.util.Arrays.toString(stds));
    }

    @Test
    void gaussianGuidanceGivesTheClosedFormGeometricStd() {
        // conditional N(mu_c, s_c^2) and unconditional N(mu_u, s_u^2) per dim: the guided denoiser is affine in x and
        // the flow's gain integrates in closed form, std = alpha(s0) sqrt(1 + sT^2) prod_k ((s_k^2 + s0^2)/(s_k^2 + sT^2))^(w_k/2)
        // with weights (w, 1 - w): in the limit s_c^w s_u^(1 - w), not the tilted density's 1/sqrt(w/s_c^2 + (1 - w)/s_u^2).
        double[] sc = {0.3, 0.6}, su = {0.8, 0.9};
        double[][] mu = {{0.5, -0.2}, {0.0, 0.1}};
        double[][][] cov = {GaussianOracle.diag(sc[0], sc[1]), GaussianOracle.diag(su[0], su[1])};
        NoiseSchedule base = NoiseSchedule.cosine(1000);
        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.V, VarianceType.FIXED_SMALL);
        GaussianOracle o = new GaussianOracle(new double[] {0, 1}, mu, cov, base, d);   // null label -> component 1 alone
        double w = 3;
        int n = 200;
        Tensor z = noise(6, n);
        double[] zz = z.toDoubleArray();
        double[][] relErr = new double[2][2];
        for (int r = 0; r < 2; r++) {
            // the sigma range of cosine(1000) is 4096 .. 0.0064: check second-order convergence rather than one count
            KarrasSampler dpm = new KarrasSampler(d, KarrasSampler.Method.DPMPP_2M, 100 << r);
            double[] sig = dpm.sigmas();
            double sT = sig[0], s0 = sig[sig.length - 2];
            double[] x = dpm.sample(new ClassifierFreeGuidance(o, NULL, w), z, GaussianOracle.labels(n, 0), new Generator(0), null).toDoubleArray();
            for (int j = 0; j < 2; j++) {
                double kc = sc[j] * sc[j] / (sc[j] * sc[j] + s0 * s0), ku = su[j] * su[j] / (su[j] * su[j] + s0 * s0);
                double gain = Math.pow((sc[j] * sc[j] + s0 * s0) / (sc[j] * sc[j] + sT * sT), w / 2)
                        * Math.pow((su[j] * su[j] + s0 * s0) / (su[j] * su[j] + sT * sT), (1 - w) / 2);
                double slope = (w * kc + (1 - w) * ku) * gain * Math.sqrt(1 + sT * sT);
                // the flow is affine: fit x = slope z + intercept over the paths and compare the slope with the closed form
                double[] xj = Moments.column(x, 2, j), zj = Moments.column(zz, 2, j);
                double mz = Moments.mean(zj), mx = Moments.mean(xj), cxz = 0, czz = 0;
                for (int i = 0; i < n; i++) { cxz += (xj[i] - mx) * (zj[i] - mz); czz += (zj[i] - mz) * (zj[i] - mz); }
                double fitted = cxz / czz, limit = Math.pow(sc[j], w) * Math.pow(su[j], 1 - w);
                double tilted = 1 / Math.sqrt(w / (sc[j] * sc[j]) + (1 - w) / (su[j] * su[j]));
                relErr[r][j] = Math.abs(fitted / slope - 1);
                System.out.printf("cfg gaussian w=3 dim %d: std closed form %.6f, DPM++ %d steps %.6f (rel err %.1e); limit s_c^w s_u^(1-w) %.4f vs tilted density %.4f%n",
                        j, slope, 100 << r, fitted, relErr[r][j], limit, tilted);
                assertEquals(limit, slope, 0.01 * limit, "the closed form is near its sigma -> 0, infinity limit");
            }
        }
        for (int j = 0; j < 2; j++) {
            // measured relative errors at 100 -> 200 steps: dim 0 8.0e-2 -> 1.8e-2, dim 1 1.3e-2 -> 3.1e-3 (second order)
            assertTrue(relErr[1][j] < 0.025 && relErr[1][j] / relErr[0][j] < 0.35, "DPM++ convergence to the closed-form gain, dim " + j
                    + ": " + relErr[0][j] + " -> " + relErr[1][j]);
        }
    }

    @Test
    void anyParameterisationCombinesLikeEpsAndKeepsTheConditionalVariance() {
        NoiseSchedule base = NoiseSchedule.linear(200);
        double[][] mu = {{-0.6, 0.2}, {0.8, -0.3}};
        double[][][] cov = {GaussianOracle.correlated(0.5, 0.4, 0.3), GaussianOracle.diag(0.3, 0.6)};
        Tensor xt = noise(7, 64);
        long[] tv = new long[64];
        for (int i = 0; i < 64; i++) tv[i] = (i * 37) % 200;          // mixed timesteps in one batch
        Tensor t = Tensor.ofLongs(tv, 64);
        Conditioning cond = GaussianOracle.labels(64, 1);
        double w = 2.5;
        for (Parameterization p : Parameterization.values()) {
            GaussianDiffusion d = new GaussianDiffusion(base, p, VarianceType.LEARNED_RANGE);
            GaussianOracle o = new GaussianOracle(new double[] {0.4, 0.6}, mu, cov, base, d);
            Tensor guided = new ClassifierFreeGuidance(o, NULL, w).apply(xt, t, cond);
            Tensor c = o.apply(xt, t, cond), u = o.apply(xt, t, NULL.of(cond));
            Tensor ec = d.predictEps(c, xt, t), eu = d.predictEps(u, xt, t);
            double[] want = eu.add(ec.sub(eu).mul(w)).toDoubleArray(), got = d.predictEps(guided, xt, t).toDoubleArray();
            double err = Moments.maxAbsDiff(want, got);
            assertTrue(err < 1e-10, p + ": guided eps differs from the eps-space combination by " + err);
            assertArrayEquals(c.slice(1, 2, 4).toDoubleArray(), guided.slice(1, 2, 4).toDoubleArray(), 0, p + " variance channels");
        }
    }

    @Test
    void nullConditionsAndBatching() {
        Tensor emb = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Tensor shared = Tensor.scalar(7, DType.F64, Device.CPU);
        Conditioning cond = Conditioning.of(GaussianOracle.LABEL, Tensor.ofLongs(new long[] {0, 1, 1}, 3)).with("emb", emb).with("shared", shared);
        Conditioning lab = NULL.of(cond);
        assertArrayEquals(new long[] {2, 2, 2}, lab.get(GaussianOracle.LABEL).toLongArray());
        assertSame(emb, lab.get("emb"));
        Conditioning zer = NullCondition.zeros("emb").of(cond);
        assertArrayEquals(new double[6], zer.get("emb").toDoubleArray());
        Conditioning both = Conditionings.cat(cond, lab, 3);
        assertArrayEquals(new long[] {0, 1, 1, 2, 2, 2}, both.get(GaussianOracle.LABEL).toLongArray());
        assertArrayEquals(new int[] {6, 2}, both.get("emb").shape(), "a shared per-sample entry is doubled too");
        assertSame(shared, both.get("shared"), "an entry without a batch dim is passed once");
        assertThrows(IllegalArgumentException.class, () -> NullCondition.label("missing", 0).of(cond));

        // NullCondition.none(): the unconditional branch is a separate call with no conditioning
        int[] calls = new int[2];
        Denoiser m = (x, t, c) -> { calls[c == null ? 1 : 0]++; return x.mul(c == null ? 1.0 : 3.0); };
        Tensor x = noise(8, 4);
        Tensor out = new ClassifierFreeGuidance(m, NullCondition.none(), 2).apply(x, Tensor.ofLongs(new long[4], 4), cond4());
        assertArrayEquals(new int[] {1, 1}, calls);
        assertArrayEquals(x.mul(5.0).toDoubleArray(), out.toDoubleArray(), 1e-12);   // 1 + 2 (3 - 1)
    }

    static Conditioning cond4() { return GaussianOracle.labels(4, 0); }
}
