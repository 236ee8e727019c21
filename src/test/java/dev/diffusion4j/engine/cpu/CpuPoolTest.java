package dev.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CpuPoolTest {
    static final CpuPool.AvgPool[] POOLS = {
        CpuPool.AvgPool.of(2, 3, 8, 8, 2, 2),
        CpuPool.AvgPool.of(1, 2, 7, 9, 3, 2),
        new CpuPool.AvgPool(2, 2, 5, 6, 3, 3, 2, 2, 1, 1, true),
        new CpuPool.AvgPool(1, 3, 5, 7, 3, 2, 2, 1, 1, 1, false),
    };

    @Test void avgPoolMatchesPyTorchValues() {
        float[] x = new float[20];
        for (int i = 0; i < 20; i++) x[i] = i;
        float[] y = new float[6];
        CpuPool.avgPoolForward(new CpuPool.AvgPool(1, 1, 4, 5, 3, 3, 2, 2, 1, 1, false), x, y);
        assertArrayEquals(new float[] {3f, 4.5f, 6f, 10.5f, 12f, 13.5f}, y, 1e-5f);
        CpuPool.avgPoolForward(new CpuPool.AvgPool(1, 1, 4, 5, 3, 3, 2, 2, 1, 1, true), x, y);
        assertArrayEquals(new float[] {4f / 3, 3f, 8f / 3, 7f, 12f, 9f}, y, 1e-5f);
    }

    @Test void avgPoolForwardAndAdjoint() {
        SplittableRandom r = new SplittableRandom(21);
        for (CpuPool.AvgPool p : POOLS) {
            int in = p.n() * p.c() * p.h() * p.w(), out = p.n() * p.c() * p.outH() * p.outW();
            double[] x = rand(r, in), gy = rand(r, out), y = new double[out], gx = new double[in];
            double[] want = naiveAvg(p, x);
            CpuPool.avgPoolForward(p, x, y);
            assertArrayEquals(want, y, 1e-12);
            float[] yf = new float[out];
            CpuPool.avgPoolForward(p, f(x), yf);
            assertArrayEquals(want, d(yf), 1e-5);
            CpuPool.avgPoolBackward(p, gy, gx);
            assertEquals(dot(y, gy), dot(x, gx), 1e-10, p + " adjoint");
            float[] gxf = new float[in];
            CpuPool.avgPoolBackward(p, f(gy), gxf);
            assertArrayEquals(gx, d(gxf), 1e-5);
        }
    }

    @Test void nearestForwardAndAdjoint() {
        SplittableRandom r = new SplittableRandom(22);
        int[][] cases = {{3, 4, 5, 2, 2}, {2, 3, 3, 3, 1}, {1, 1, 1, 4, 4}};
        for (int[] c : cases) {
            int pl = c[0], h = c[1], w = c[2], fh = c[3], fw = c[4], in = pl * h * w, out = in * fh * fw;
            double[] x = rand(r, in), gy = rand(r, out), y = new double[out], gx = new double[in];
            CpuPool.upsampleNearestForward(pl, h, w, fh, fw, x, y);
            for (int p = 0; p < pl; p++)
                for (int oy = 0; oy < h * fh; oy++)
                    for (int ox = 0; ox < w * fw; ox++)
                        assertEquals(x[(p * h + oy / fh) * w + ox / fw], y[(p * h * fh + oy) * w * fw + ox]);
            CpuPool.upsampleNearestBackward(pl, h, w, fh, fw, gy, gx);
            assertEquals(dot(y, gy), dot(x, gx), 1e-10);
            float[] yf = new float[out], gxf = new float[in];
            CpuPool.upsampleNearestForward(pl, h, w, fh, fw, f(x), yf);
            CpuPool.upsampleNearestBackward(pl, h, w, fh, fw, f(gy), gxf);
            assertArrayEquals(y, d(yf), 1e-6);
            assertArrayEquals(gx, d(gxf), 1e-5);
        }
    }

    @Test void bilinearMatchesPyTorchValues() {
        float[] y = new float[16];
        CpuPool.bilinearForward(1, 2, 2, 4, 4, new float[] {1, 2, 3, 4}, y);
        assertArrayEquals(new float[] {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4}, y, 1e-6f);
        float[] x = new float[15];
        for (int i = 0; i < 15; i++) x[i] = (float) Math.pow(i, 1.5);
        float[] z = new float[8];
        CpuPool.bilinearForward(1, 3, 5, 4, 2, x, z); // values from torch 1.13 F.interpolate(size=(4, 2))
        assertArrayEquals(new float[] {0.75f, 5.897114f, 8.917368f, 17.03677f, 21.86156f, 32.919075f, 35.26785f, 48.249924f}, z, 1e-4f);
    }

    @Test void bilinearForwardAndAdjoint() {
        SplittableRandom r = new SplittableRandom(23);
        int[][] cases = {{2, 4, 5, 8, 10}, {1, 5, 3, 2, 7}, {3, 1, 1, 3, 3}, {1, 6, 6, 6, 6}};
        for (int[] c : cases) {
            int pl = c[0], h = c[1], w = c[2], oh = c[3], ow = c[4], in = pl * h * w, out = pl * oh * ow;
            double[] x = rand(r, in), gy = rand(r, out), y = new double[out], gx = new double[in];
            CpuPool.bilinearForward(pl, h, w, oh, ow, x, y);
            assertArrayEquals(naiveBilinear(pl, h, w, oh, ow, x), y, 1e-12);
            CpuPool.bilinearBackward(pl, h, w, oh, ow, gy, gx);
            assertEquals(dot(y, gy), dot(x, gx), 1e-10);
            float[] yf = new float[out], gxf = new float[in];
            CpuPool.bilinearForward(pl, h, w, oh, ow, f(x), yf);
            CpuPool.bilinearBackward(pl, h, w, oh, ow, f(gy), gxf);
            assertArrayEquals(y, d(yf), 1e-5);
            assertArrayEquals(gx, d(gxf), 1e-5);
        }
    }

    @Test void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new CpuPool.AvgPool(1, 1, 4, 4, 2, 2, 1, 1, 2, 0, true));
        assertThrows(IllegalArgumentException.class, () -> CpuPool.upsampleNearestForward(1, 2, 2, 0, 2, new float[4], new float[16]));
    }

    static double[] naiveAvg(CpuPool.AvgPool p, double[] x) {
        int oh = p.outH(), ow = p.outW();
        double[] y = new double[p.n() * p.c() * oh * ow];
        for (int pl = 0; pl < p.n() * p.c(); pl++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double s = 0;
                    int count = 0;
                    for (int ky = 0; ky < p.kh(); ky++)
                        for (int kx = 0; kx < p.kw(); kx++) {
                            int iy = oy * p.sh() - p.ph() + ky, ix = ox * p.sw() - p.pw() + kx;
                            if (iy >= 0 && iy < p.h() && ix >= 0 && ix < p.w()) {
                                s += x[(pl * p.h() + iy) * p.w() + ix];
                                count++;
                            }
                        }
                    y[(pl * oh + oy) * ow + ox] = s / (p.countIncludePad() ? p.kh() * p.kw() : count);
                }
        return y;
    }

    /** PyTorch's align_corners=false rule written out per output pixel. */
    static double[] naiveBilinear(int pl, int h, int w, int oh, int ow, double[] x) {
        double[] y = new double[pl * oh * ow];
        for (int p = 0; p < pl; p++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double sy = Math.max(0, (oy + 0.5) * h / oh - 0.5), sx = Math.max(0, (ox + 0.5) * w / ow - 0.5);
                    int y0 = (int) Math.floor(sy), x0 = (int) Math.floor(sx);
                    int y1 = Math.min(y0 + 1, h - 1), x1 = Math.min(x0 + 1, w - 1);
                    double fy = sy - y0, fx = sx - x0;
                    double v00 = x[(p * h + y0) * w + x0], v01 = x[(p * h + y0) * w + x1];
                    double v10 = x[(p * h + y1) * w + x0], v11 = x[(p * h + y1) * w + x1];
                    y[(p * oh + oy) * ow + ox] = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
                }
        return y;
    }

    static double[] rand(SplittableRandom r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextDouble(-1, 1);
        return x;
    }

    static float[] f(double[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (float) x[i];
        return y;
    }

    static double[] d(float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i];
        return y;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
