package dev.diffusion4j.engine.cpu;

import java.util.Arrays;

/** Direct-loop float64 convolution for gradient checks: simple enough to be obviously right. */
final class ConvDouble {
    private ConvDouble() {}

    /** One (image, output channel) plane per task. */
    static void forward(ConvGeometry g, double[] x, double[] w, double[] bias, double[] y) {
        int oh = g.outH(), ow = g.outW(), cg = g.cInPerGroup(), og = g.cOutPerGroup();
        Parallel.forRange(g.n() * g.cOut(), 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / g.cOut(), co = t % g.cOut(), gr = co / og;
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double s = bias == null ? 0 : bias[co];
                        for (int ci = 0; ci < cg; ci++)
                            for (int ky = 0; ky < g.kh(); ky++) {
                                int iy = oy * g.sh() - g.ph() + ky * g.dh();
                                if (iy < 0 || iy >= g.h()) continue;
                                for (int kx = 0; kx < g.kw(); kx++) {
                                    int ix = ox * g.sw() - g.pw() + kx * g.dw();
                                    if (ix < 0 || ix >= g.w()) continue;
                                    s += w[((co * cg + ci) * g.kh() + ky) * g.kw() + kx]
                                            * x[((n * g.cIn() + gr * cg + ci) * g.h() + iy) * g.w() + ix];
                                }
                            }
                        y[(t * oh + oy) * ow + ox] = s;
                    }
            }
        });
    }

    /** Scatters each output gradient back through the kernel; one image per task. */
    static void backwardData(ConvGeometry g, double[] gy, double[] w, double[] gx) {
        int oh = g.outH(), ow = g.outW(), cg = g.cInPerGroup(), og = g.cOutPerGroup(), hw = g.h() * g.w();
        Parallel.forRange(g.n(), 1, (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                Arrays.fill(gx, n * g.cIn() * hw, (n + 1) * g.cIn() * hw, 0);
                for (int co = 0; co < g.cOut(); co++) {
                    int gr = co / og;
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++) {
                            double d = gy[((n * g.cOut() + co) * oh + oy) * ow + ox];
                            for (int ci = 0; ci < cg; ci++)
                                for (int ky = 0; ky < g.kh(); ky++) {
                                    int iy = oy * g.sh() - g.ph() + ky * g.dh();
                                    if (iy < 0 || iy >= g.h()) continue;
                                    for (int kx = 0; kx < g.kw(); kx++) {
                                        int ix = ox * g.sw() - g.pw() + kx * g.dw();
                                        if (ix < 0 || ix >= g.w()) continue;
                                        gx[((n * g.cIn() + gr * cg + ci) * g.h() + iy) * g.w() + ix]
                                                += d * w[((co * cg + ci) * g.kh() + ky) * g.kw() + kx];
                                    }
                                }
                        }
                }
            }
        });
    }

    /** One output channel per task: sums over images and positions. */
    static void backwardWeight(ConvGeometry g, double[] x, double[] gy, double[] gw) {
        int oh = g.outH(), ow = g.outW(), cg = g.cInPerGroup(), og = g.cOutPerGroup(), kk = g.kh() * g.kw();
        Parallel.forRange(g.cOut(), 1, (lo, hi) -> {
            for (int co = lo; co < hi; co++) {
                int gr = co / og;
                Arrays.fill(gw, co * cg * kk, (co + 1) * cg * kk, 0);
                for (int n = 0; n < g.n(); n++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++) {
                            double d = gy[((n * g.cOut() + co) * oh + oy) * ow + ox];
                            for (int ci = 0; ci < cg; ci++)
                                for (int ky = 0; ky < g.kh(); ky++) {
                                    int iy = oy * g.sh() - g.ph() + ky * g.dh();
                                    if (iy < 0 || iy >= g.h()) continue;
                                    for (int kx = 0; kx < g.kw(); kx++) {
                                        int ix = ox * g.sw() - g.pw() + kx * g.dw();
                                        if (ix < 0 || ix >= g.w()) continue;
                                        gw[((co * cg + ci) * g.kh() + ky) * g.kw() + kx]
                                                += d * x[((n * g.cIn() + gr * cg + ci) * g.h() + iy) * g.w() + ix];
                                    }
                                }
                        }
            }
        });
    }
}
