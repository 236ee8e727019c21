package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.cli.ScheduleCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Schedules, their derived quantities, respacing and the {@code diffuse schedule} command. */
class NoiseScheduleTest {
    @Test
    void linearIsScaledToT() {
        NoiseSchedule s = NoiseSchedule.linear(1000);
        assertEquals(1e-4, s.beta(0), 1e-18);
        assertEquals(0.02, s.beta(999), 1e-17);
        assertEquals((0.02 - 1e-4) / 999, s.beta(1) - s.beta(0), 1e-17);
        NoiseSchedule s4 = NoiseSchedule.linear(4000);
        assertEquals(2.5e-5, s4.beta(0), 1e-18);
        assertEquals(0.005, s4.beta(3999), 1e-17);
        // 1000/T scaling keeps alpha_bar_T nearly the same for any T
        assertEquals(s.alphaBar(999), s4.alphaBar(3999), 0.1 * s.alphaBar(999));
        // T = 10 would need betas up to 2: clipped to 0.999 so every T works
        NoiseSchedule s10 = NoiseSchedule.linear(10);
        assertEquals(0.999, s10.beta(9));
        assertEquals(0.1, NoiseSchedule.linear(1).beta(0), 1e-17);
    }

    @Test
    void cosineFollowsItsAlphaBarAndClipsBetas() {
        int n = 1000;
        NoiseSchedule s = NoiseSchedule.cosine(n);
        double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        for (int i : new int[] {0, 1, 100, 500, 900}) {
            double f = Math.pow(Math.cos(((i + 1.0) / n + 0.008) / 1.008 * Math.PI / 2), 2);
            assertEquals(f / f0, s.alphaBar(i), 1e-12, "alpha_bar at " + i);
        }
        assertEquals(0.999, s.beta(999), "alpha_bar(1) = 0 would give beta 1: clipped");
        for (int i = 1; i < n; i++) assertTrue(s.alphaBar(i) < s.alphaBar(i - 1));
    }

    @Test
    void sigmoidAndScaledLinearShapes() {
        NoiseSchedule sig = NoiseSchedule.sigmoid(1000);
        assertEquals(1e-4 + (0.02 - 1e-4) / (1 + Math.exp(6)), sig.beta(0), 1e-15);
        assertEquals(1e-4 + (0.02 - 1e-4) / 2, 0.5 * (sig.beta(499) + sig.beta(500)), 1e-5);
        NoiseSchedule sl = NoiseSchedule.scaledLinear(1000);
        assertEquals(0.00085, sl.beta(0), 1e-15);
        assertEquals(0.012, sl.beta(999), 1e-15);
        double d0 = Math.sqrt(sl.beta(1)) - Math.sqrt(sl.beta(0)), d1 = Math.sqrt(sl.beta(999)) - Math.sqrt(sl.beta(998));
        assertEquals(d0, d1, 1e-12, "linear in sqrt(beta)");
        for (NoiseSchedule.Kind k : NoiseSchedule.Kind.values()) assertEquals(k, NoiseSchedule.Kind.parse(k.id()));
        assertEquals(NoiseSchedule.Kind.SCALED_LINEAR, NoiseSchedule.Kind.parse("scaled_linear"));
        assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.Kind.parse("quadratic"));
    }

    @Test
    void derivedQuantitiesMatchDirectF64Computations() {
        double[] betas = {0.01, 0.05, 0.2, 0.5, 0.9};
        NoiseSchedule s = NoiseSchedule.fromBetas(betas);
        double ab = 1;
        for (int i = 0; i < betas.length; i++) {
            double prev = ab;
            ab *= 1 - betas[i];
            assertEquals(ab, s.alphaBar(i), 1e-15);
            assertEquals(prev, s.alphaBarPrev(i), 1e-15);
            assertEquals(i + 1 < betas.length ? ab * (1 - betas[i + 1]) : 0, s.alphaBarsNext()[i], 1e-15);
            assertEquals(Math.sqrt(ab), s.sqrtAlphaBars()[i], 1e-15);
            assertEquals(Math.sqrt(1 - ab), s.sqrtOneMinusAlphaBars()[i], 1e-15);
            assertEquals(Math.log(1 - ab), s.logOneMinusAlphaBars()[i], 1e-14);
            assertEquals(1 / Math.sqrt(ab), s.sqrtRecipAlphaBars()[i], 1e-13);
            assertEquals(Math.sqrt(1 / ab - 1), s.sqrtRecipM1AlphaBars()[i], 1e-13);
            double pv = betas[i] * (1 - prev) / (1 - ab);
            assertEquals(pv, s.posteriorVariance(i), 1e-15);
            assertEquals(betas[i] * Math.sqrt(prev) / (1 - ab), s.posteriorMeanCoefsX0()[i], 1e-15);
            assertEquals((1 - prev) * Math.sqrt(1 - betas[i]) / (1 - ab), s.posteriorMeanCoefsXt()[i], 1e-15);
            assertEquals(ab / (1 - ab), s.snr(i), 1e-13);
            assertEquals(Math.sqrt((1 - ab) / ab), s.sigmas()[i], 1e-12);
        }
        assertEquals(0, s.posteriorVariance(0), "beta~_1 = 0");
        assertEquals(Math.log(s.posteriorVariance(1)), s.posteriorLogVarianceClipped(0), 1e-15, "its log is clipped to beta~_2's");
        assertEquals(Math.log(s.posteriorVariance(3)), s.posteriorLogVarianceClipped(3), 1e-15);
        assertEquals(Math.log(0.3), NoiseSchedule.fromBetas(0.3).posteriorLogVarianceClipped(0), 1e-15, "T = 1 falls back to beta_1");
        assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.fromBetas(0.1, 1.5));
        assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.fromBetas(0.1, 0));
        NoiseSchedule back = NoiseSchedule.fromAlphaBar(s.alphaBars());
        for (int i = 0; i < betas.length; i++) assertEquals(betas[i], back.beta(i), 1e-14);
    }

    @Test
    void zeroTerminalSnrRescalesSqrtAlphaBarAffinely() {
        NoiseSchedule s = NoiseSchedule.scaledLinear(1000), z = s.rescaledToZeroTerminalSnr();
        assertEquals(0, z.snr(999));
        assertEquals(0, z.alphaBar(999));
        assertEquals(1, z.beta(999), 1e-15);
        assertEquals(s.alphaBar(0), z.alphaBar(0), 1e-15, "first step unchanged");
        // sqrt(ab') = (sqrt(ab) - sqrt(ab_T)) * sqrt(ab_0) / (sqrt(ab_0) - sqrt(ab_T))
        double a0 = Math.sqrt(s.alphaBar(0)), aT = Math.sqrt(s.alphaBar(999));
        for (int i : new int[] {1, 10, 500, 998})
            assertEquals((Math.sqrt(s.alphaBar(i)) - aT) * a0 / (a0 - aT), Math.sqrt(z.alphaBar(i)), 1e-14);
        assertTrue(Double.isFinite(z.posteriorLogVarianceClipped(999)));
        assertTrue(z.sigmas()[999] < 5000 && z.sigmas()[999] > 4000, "sigma floored at alpha_bar 2^-24: " + z.sigmas()[999]);
    }

    @Test
    void respacingKeepsTheRightStepsAndAlphaBars() {
        int[] ddim = Respacing.timesteps("ddim50", 1000);
        assertEquals(50, ddim.length);
        for (int i = 0; i < 50; i++) assertEquals(20 * i, ddim[i]);
        int[] even = Respacing.timesteps("250", 1000);
        assertEquals(250, even.length);
        assertEquals(0, even[0]);
        assertEquals(999, even[249]);
        // expected values computed independently in Python with improved-diffusion's rule (accumulated stride, round half to even)
        assertArrayEquals(new int[] {0, 11, 22, 33, 44, 55, 66, 77, 88, 99, 100, 107, 114, 121, 128, 135, 142, 149, 157, 164, 171,
                178, 185, 192, 199, 200, 205, 210, 216, 221, 226, 231, 236, 242, 247, 252, 257, 263, 268, 273, 278, 283, 289, 294, 299},
                Respacing.timesteps("10,15,20", 300));
        assertArrayEquals(new int[] {0, 166, 333, 500, 666, 832, 999}, Respacing.timesteps("7", 1000));
        assertArrayEquals(new int[] {0, 2, 4, 5, 7, 9}, Respacing.timesteps("3,3", 10));
        assertThrows(IllegalArgumentException.class, () -> Respacing.timesteps("ddim400", 1000), "no stride gives 400");
        assertThrows(IllegalArgumentException.class, () -> Respacing.timesteps("2000", 1000));
        assertThrows(IllegalArgumentException.class, () -> Respacing.timesteps("ten", 1000));

        NoiseSchedule base = NoiseSchedule.cosine(1000);
        GaussianDiffusion d = new GaussianDiffusion(base, Parameterization.EPS, VarianceType.FIXED_SMALL).respaced("ddim50");
        assertTrue(d.isRespaced());
        assertEquals(50, d.steps());
        for (int i = 0; i < 50; i++) {
            assertEquals(base.alphaBar(20 * i), d.schedule().alphaBar(i), 1e-14, "respaced betas reproduce alpha_bar");
            assertEquals(20 * i, d.modelTimestep(i));
        }
        // respacing a respaced diffusion composes the maps
        GaussianDiffusion dd = d.respaced(new int[] {0, 10, 49});
        assertEquals(980, dd.modelTimestep(2));
        assertEquals(base.alphaBar(200), dd.schedule().alphaBar(1), 1e-14);
    }

    @Test
    void continuousTimestepsInterpolateLogSigma() {
        NoiseSchedule s = NoiseSchedule.linear(1000);
        for (double t : new double[] {0, 0.25, 17.5, 400.125, 998.9, 999}) assertEquals(t, s.timestepAt(s.sigmaAt(t)), 1e-9);
        double[] sig = s.sigmas();
        assertEquals(Math.sqrt(sig[17] * sig[18]), s.sigmaAt(17.5), 1e-12, "geometric mean halfway");
        assertEquals(s.alphaBar(300), s.alphaBarAt(300), 1e-14);
        assertEquals(0, s.timestepAt(sig[0] / 2), "clamped below");
        assertEquals(999, s.timestepAt(sig[999] * 2), "clamped above");
        assertEquals(42, s.nearestTimestep(s.sigmaAt(42.3)));
    }

    static String[] run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new ScheduleCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void scheduleCommandPrintsCsv() {
        String[] r = run("--kind", "cosine", "--steps", "50");
        assertEquals("0", r[0], r[2]);
        String[] lines = r[1].strip().split("\\R");
        assertEquals("t,beta,alpha_bar,posterior_variance,posterior_log_variance_clipped,snr", lines[0]);
        assertEquals(51, lines.length);
        NoiseSchedule s = NoiseSchedule.cosine(50);
        String[] row = lines[1].split(",");
        assertEquals("1", row[0]);
        assertEquals(s.beta(0), Double.parseDouble(row[1]));
        assertEquals(s.alphaBar(0), Double.parseDouble(row[2]));
        assertEquals(0.0, Double.parseDouble(row[3]));
        assertEquals(s.posteriorLogVarianceClipped(0), Double.parseDouble(row[4]));
        assertEquals(s.snr(0), Double.parseDouble(row[5]));
        String[] last = lines[50].split(",");
        assertEquals("50", last[0]);

        String[] z = run("--kind", "scaled-linear", "--steps", "20", "--zero-terminal-snr");
        String[] zl = z[1].strip().split("\\R");
        assertEquals(0.0, Double.parseDouble(zl[20].split(",")[5]), "last SNR is zero");

        String[] d = run();
        assertEquals(1001, d[1].strip().split("\\R").length, "defaults: linear, 1000 steps");

        String[] bad = run("--kind", "quadratic");
        assertEquals("2", bad[0]);
        assertTrue(bad[2].contains("unknown schedule 'quadratic'"), bad[2]);
        assertEquals("2", run("--steps", "0")[0]);
        String help = run("--help")[1].replaceAll("\\s+", " ");
        assertTrue(help.contains("Default: linear") && help.contains("Default: 1000") && help.contains("Default: false"), help);
    }
}
