package dev.diffusion4j.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PsnrSsimTest {
    private static float[] random(long seed, int len) {
        Random r = new Random(seed);
        float[] v = new float[len];
        for (int i = 0; i < len; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }

    @Test void identicalImagesGiveInfinitePsnrAndSsimOne() {
        float[] a = random(1, 2 * 3 * 16 * 16);
        double[] p = Psnr.perImage(a, a.clone(), 2, 3 * 16 * 16);
        assertEquals(Double.POSITIVE_INFINITY, p[0]);
        assertEquals(Double.POSITIVE_INFINITY, Psnr.mean(p));
        for (double s : Ssim.perImage(a, a.clone(), 2, 3, 16, 16)) assertEquals(1.0, s, 1e-12);
    }

    @Test void constantOffsetGivesClosedFormPsnr() {
        float[] a = random(2, 3 * 8 * 8), b = a.clone();
        for (int i = 0; i < b.length; i++) b[i] += 0.1f;
        // MSE = 0.1^2 on a range of 2: 10 log10(4 / 0.01) = 26.0206 dB
        assertEquals(10 * Math.log10(4 / 0.01), Psnr.perImage(a, b, 1, a.length)[0], 1e-4);
    }

    @Test void constantImagesGiveTheLuminanceTerm() {
        // no variance and no covariance: SSIM = (2ab + C1) / (a^2 + b^2 + C1) with C1 = (0.01 * 2)^2
        float[] a = new float[16 * 16], b = new float[16 * 16];
        java.util.Arrays.fill(a, 0.5f);
        java.util.Arrays.fill(b, -0.25f);
        double c1 = 0.0004, want = (2 * 0.5 * -0.25 + c1) / (0.25 + 0.0625 + c1);
        assertEquals(want, Ssim.perImage(a, b, 1, 1, 16, 16)[0], 1e-12);
    }

    @Test void gaussianWindowIsNormalisedAndSymmetric() {
        double[] g = Ssim.gaussian(11, 1.5);
        double s = 0;
        for (double v : g) s += v;
        assertEquals(1.0, s, 1e-12);
        assertEquals(g[0], g[10], 1e-15);
        assertEquals(Math.exp(-25 / 4.5) / Math.exp(0), g[0] / g[5], 1e-12);
    }

    /** Against an independent numpy implementation (skipped where python3 with numpy is missing). */
    @Test void matchesNumpyReference() throws Exception {
        int h = 20, w = 17;
        float[] a = random(3, h * w), b = a.clone();
        Random r = new Random(4);
        for (int i = 0; i < b.length; i++) b[i] = (float) Math.max(-1, Math.min(1, 0.7 * b[i] + 0.3 * (r.nextDouble() * 2 - 1)));
        String script = String.join("\n",
                "import sys, numpy as np",
                "v = np.array([float(t) for t in sys.stdin.read().split()])",
                "h, w = int(v[0]), int(v[1]); x = v[2:2+h*w].reshape(h, w); y = v[2+h*w:].reshape(h, w)",
                "c = np.arange(11) - 5.0; g = np.exp(-c**2 / (2 * 1.5**2)); g /= g.sum(); k = np.outer(g, g)",
                "def f(m): return np.array([[np.sum(k * m[i:i+11, j:j+11]) for j in range(m.shape[1] - 10)] for i in range(m.shape[0] - 10)])",
                "c1 = (0.01 * 2) ** 2; c2 = (0.03 * 2) ** 2",
                "mx, my = f(x), f(y); vx = f(x*x) - mx**2; vy = f(y*y) - my**2; cxy = f(x*y) - mx*my",
                "s = (2*mx*my + c1) * (2*cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2))",
                "print(repr(float(s.mean())))");
        Process p;
        try {
            p = new ProcessBuilder("python3", "-c", script).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "python3 not available: " + e.getMessage());
            return;
        }
        StringBuilder in = new StringBuilder(h + " " + w);
        for (float v : a) in.append(' ').append(v);
        for (float v : b) in.append(' ').append(v);
        try (var os = p.getOutputStream()) { os.write(in.toString().getBytes(StandardCharsets.UTF_8)); }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "python3 with numpy not usable: " + out);
        double want = Double.parseDouble(out);
        assertEquals(want, Ssim.perImage(a, b, 1, 1, h, w)[0], 1e-7);  // the decimal text of the floats differs in the last bits
    }
}
