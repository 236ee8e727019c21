package dev.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CpuConv2dTest {
    static final ConvGeometry[] GEOMETRIES = {
        ConvGeometry.of(2, 3, 7, 9, 4, 3, 3, 1, 1),                      // odd sizes, pad 1
        ConvGeometry.of(1, 4, 8, 8, 6, 3, 3, 2, 1),                      // stride 2
        new ConvGeometry(2, 6, 9, 7, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2),      // dilation 2, groups 2
        ConvGeometry.of(3, 5, 6, 6, 7, 1, 1, 1, 0),                      // 1x1
        new ConvGeometry(2, 4, 5, 11, 4, 2, 3, 2, 1, 0, 1, 1, 1, 4),     // depthwise, rectangular, mixed strides
        ConvGeometry.of(1, 8, 13, 13, 16, 5, 5, 1, 2),                   // 5x5
        ConvGeometry.of(2, 6, 10, 10, 6, 3, 3, 1, 0),                    // no padding: forward reads x directly
        ConvGeometry.of(1, 3, 6, 6, 2, 3, 3, 1, 3),                      // padding > kernel reach: general data gradient
        ConvGeometry.of(5, 2, 4, 4, 3, 3, 3, 1, 1),                      // batch >= 2 x threads: one image per task
        ConvGeometry.of(4, 32, 16, 16, 48, 3, 3, 1, 1),                  // full register tiles, parallel GEMM
        new ConvGeometry(2, 64, 8, 8, 64, 3, 3, 2, 2, 1, 1, 1, 1, 2),    // stride 2 with groups, 32-channel groups
        new ConvGeometry(1, 3, 12, 10, 5, 3, 2, 3, 2, 2, 0, 2, 3, 1),    // stride 3x2, dilation 2x3
        ConvGeometry.of(3, 16, 7, 7, 24, 3, 3, 1, 1),                    // padded-width columns: slivers span rows
        ConvGeometry.of(1, 8, 14, 14, 13, 3, 3, 1, 1),                   // padded-width, one image (tiles split columns)
        new ConvGeometry(2, 8, 4, 5, 8, 3, 3, 1, 1, 2, 1, 1, 1, 2),      // padded-width, groups, uneven padding
        ConvGeometry.of(2, 32, 20, 20, 16, 3, 3, 1, 1),                  // padded-width, rows of a vector + tail, two depth blocks
        ConvGeometry.of(2, 48, 6, 6, 40, 3, 3, 1, 1),                    // 8-row weight slivers (40 channels), two depth blocks
    };

    @Test void forwardMatchesDirectConvolution() {
        SplittableRandom r = new SplittableRandom(11);
        for (ConvGeometry g : GEOMETRIES) {
            double[] x = rand(r, g.inputSize()), w = rand(r, g.weightSize()), bias = rand(r, g.cOut());
            double[] want = Ref.forward(g, x, w, bias), abs = Ref.forward(g, abs(x), abs(w), abs(bias));
            float[] y = new float[g.outputSize()];
            java.util.Arrays.fill(y, Float.NaN);
            CpuConv2d.forward(g, f(x), f(w), f(bias), y);
            close(g + " forward f32", want, y, abs, g.cInPerGroup() * g.kh() * g.kw());
            double[] yd = new double[g.outputSize()];
            CpuConv2d.forward(g, x, w, bias, yd);
            close(g + " forward f64", want, yd, abs, 1e-12);
        }
    }

    @Test void backwardDataMatchesGatherAndAdjoint() {
        SplittableRandom r = new SplittableRandom(12);
        for (ConvGeometry g : GEOMETRIES) {
            double[] x = rand(r, g.inputSize()), w = rand(r, g.weightSize()), gy = rand(r, g.outputSize());
            double[] want = Ref.backwardData(g, gy, w), abs = Ref.backwardData(g, abs(gy), abs(w));
            float[] gx = new float[g.inputSize()];
            java.util.Arrays.fill(gx, Float.NaN);
            CpuConv2d.backwardData(g, f(gy), f(w), gx);
            close(g + " backwardData f32", want, gx, abs, g.cOutPerGroup() * g.kh() * g.kw());
            double[] gxd = new double[g.inputSize()];
            CpuConv2d.backwardData(g, gy, w, gxd);
            close(g + " backwardData f64", want, gxd, abs, 1e-12);
            // <conv(x, w), gy> = <x, backwardData(gy, w)>
            double[] y = new double[g.outputSize()];
            CpuConv2d.forward(g, x, w, null, y);
            assertEquals(dot(y, gy), dot(x, gxd), 1e-9 * (1 + Math.abs(dot(y, gy))), g + " data adjoint");
            assertEquals(dot(y, gy), dot(x, toDouble(gx)), 1e-4 * (1 + norm(y) * norm(gy)), g + " data adjoint f32");
        }
    }

    @Test void backwardWeightMatchesReferenceAndAdjoint() {
        SplittableRandom r = new SplittableRandom(13);
        for (ConvGeometry g : GEOMETRIES) {
            double[] x = rand(r, g.inputSize()), w = rand(r, g.weightSize()), gy = rand(r, g.outputSize());
            double[] want = Ref.backwardWeight(g, x, gy), abs = Ref.backwardWeight(g, abs(x), abs(gy));
            float[] gw = new float[g.weightSize()];
            java.util.Arrays.fill(gw, Float.NaN);
            CpuConv2d.backwardWeight(g, f(x), f(gy), gw);
            close(g + " backwardWeight f32", want, gw, abs, g.n() * g.outH() * g.outW());
            double[] gwd = new double[g.weightSize()];
            CpuConv2d.backwardWeight(g, x, gy, gwd);
            close(g + " backwardWeight f64", want, gwd, abs, 1e-12);
            double[] y = new double[g.outputSize()];
            CpuConv2d.forward(g, x, w, null, y);
            assertEquals(dot(y, gy), dot(w, gwd), 1e-9 * (1 + Math.abs(dot(y, gy))), g + " weight adjoint");
        }
    }

    @Test void transposedForwardIsDataGradientPlusBias() {
        SplittableRandom r = new SplittableRandom(14);
        for (ConvGeometry g : new ConvGeometry[] {GEOMETRIES[1], GEOMETRIES[2], GEOMETRIES[9]}) {
            double[] x = rand(r, g.outputSize()), w = rand(r, g.weightSize()), bias = rand(r, g.cIn());
            double[] want = Ref.backwardData(g, x, w), abs = Ref.backwardData(g, abs(x), abs(w));
            int plane = g.h() * g.w();
            for (int i = 0; i < want.length; i++) {
                want[i] += bias[(i / plane) % g.cIn()];
                abs[i] += Math.abs(bias[(i / plane) % g.cIn()]);
            }
            float[] y = new float[g.inputSize()];
            CpuConv2d.transposedForward(g, f(x), f(w), f(bias), y);
            close(g + " transposed f32", want, y, abs, g.cOutPerGroup() * g.kh() * g.kw());
            double[] yd = new double[g.inputSize()];
            CpuConv2d.transposedForward(g, x, w, bias, yd);
            close(g + " transposed f64", want, yd, abs, 1e-12);
        }
    }

    @Test void rejectsBadGeometryAndShortArrays() {
        assertThrows(IllegalArgumentException.class, () -> ConvGeometry.of(1, 3, 2, 2, 4, 5, 5, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new ConvGeometry(1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2));
        ConvGeometry g = ConvGeometry.of(1, 2, 4, 4, 2, 3, 3, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> CpuConv2d.forward(g, new float[5], new float[36], null, new float[32]));
    }

    // ---- helpers --------------------------------------------------------------------------

    /** |got - want| <= 4 * eps32 * (terms + 2) * sum|terms| per element (f32), or <= tol * (1 + abs) (f64). */
    static void close(String what, double[] want, float[] got, double[] abs, int terms) {
        for (int i = 0; i < want.length; i++) {
            double tol = 4 * 6e-8 * (terms + 2) * abs[i] + 1e-30;
            if (!(Math.abs(got[i] - want[i]) <= tol)) fail(what + " [" + i + "] " + got[i] + " want " + want[i]);
        }
    }

    static void close(String what, double[] want, double[] got, double[] abs, double tol) {
        for (int i = 0; i < want.length; i++)
            if (!(Math.abs(got[i] - want[i]) <= tol * (1 + abs[i]))) fail(what + " [" + i + "] " + got[i] + " want " + want[i]);
    }

    static double[] rand(SplittableRandom r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextDouble(-1, 1); // representable in float
        return x;
    }

    static float[] f(double[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (float) x[i];
        return y;
    }

    static double[] toDouble(float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i];
        return y;
    }

    static double[] abs(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.abs(x[i]);
        return y;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double norm(double[] a) { return Math.sqrt(dot(a, a)); }

    /** Textbook loops, written independently of the main code (gathers where the library scatters). */
    static final class Ref {
        static double[] forward(ConvGeometry g, double[] x, double[] w, double[] b) {
            int oh = g.outH(), ow = g.outW(), cg = g.cInPerGroup(), og = g.cOutPerGroup();
            double[] y = new double[g.outputSize()];
            for (int n = 0; n < g.n(); n++)
                for (int co = 0; co < g.cOut(); co++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++) {
                            double s = b == null ? 0 : b[co];
                            for (int ci = 0; ci < cg; ci++)
                                for (int ky = 0; ky < g.kh(); ky++)
                                    for (int kx = 0; kx < g.kw(); kx++) {
                                        int iy = oy * g.sh() - g.ph() + ky * g.dh(), ix = ox * g.sw() - g.pw() + kx * g.dw();
                                        if (iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w())
                                            s += w[((co * cg + ci) * g.kh() + ky) * g.kw() + kx]
                                                    * x[((n * g.cIn() + (co / og) * cg + ci) * g.h() + iy) * g.w() + ix];
                                    }
                            y[((n * g.cOut() + co) * oh + oy) * ow + ox] = s;
                        }
            return y;
        }

        /** gx[n][ci][iy][ix] = sum over (co, ky, kx) with oy = (iy + ph - ky*dh) / sh integral and in range. */
        static double[] backwardData(ConvGeometry g, double[] gy, double[] w) {
            int oh = g.outH(), ow = g.outW(), cg = g.cInPerGroup(), og = g.cOutPerGroup();
            double[] gx = new double[g.inputSize()];
            for (int n = 0; n < g.n(); n++)
                for (int c = 0; c < g.cIn(); c++)
                    for (int iy = 0; iy < g.h(); iy++)
                        for (int ix = 0; ix < g.w(); ix++) {
                            double s = 0;
                            int gr = c / cg, ci = c % cg;
                            for (int co = gr * og; co < (gr + 1) * og; co++)
                                for (int ky = 0; ky < g.kh(); ky++)
                                    for (int kx = 0; kx < g.kw(); kx++) {
                                        int ny = iy + g.ph() - ky * g.dh(), nx = ix + g.pw() - kx * g.dw();
                                        if (ny < 0 || nx < 0 || ny % g.sh() != 0 || nx % g.sw() != 0) continue;
                                        int oy = ny / g.sh(), ox = nx / g.sw();
                                        if (oy >= oh || ox >= ow) continue;
                                        s += w[((co * cg + ci) * g.kh() + ky) * g.kw() + kx] * gy[((n * g.cOut() + co) * oh + oy) * ow + ox];
                                    }
                            gx[((n * g.cIn() + c) * g.h() + iy) * g.w() + ix] = s;
                        }
            return gx;
        }

        static double[] backwardWeight(ConvGeometry g, double[] x, double[] gy) {
            int oh = g.outH(), ow = g.outW(), cg = g.cInPerGroup(), og = g.cOutPerGroup();
            double[] gw = new double[g.weightSize()];
            for (int co = 0; co < g.cOut(); co++)
                for (int ci = 0; ci < cg; ci++)
                    for (int ky = 0; ky < g.kh(); ky++)
                        for (int kx = 0; kx < g.kw(); kx++) {
                            double s = 0;
                            for (int n = 0; n < g.n(); n++)
                                for (int oy = 0; oy < oh; oy++)
                                    for (int ox = 0; ox < ow; ox++) {
                                        int iy = oy * g.sh() - g.ph() + ky * g.dh(), ix = ox * g.sw() - g.pw() + kx * g.dw();
                                        if (iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w())
                                            s += gy[((n * g.cOut() + co) * oh + oy) * ow + ox]
                                                    * x[((n * g.cIn() + (co / og) * cg + ci) * g.h() + iy) * g.w() + ix];
                                    }
                            gw[((co * cg + ci) * g.kh() + ky) * g.kw() + kx] = s;
                        }
            return gw;
        }
    }
}
