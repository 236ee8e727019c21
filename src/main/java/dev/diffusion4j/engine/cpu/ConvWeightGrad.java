package dev.diffusion4j.engine.cpu;

import java.util.Arrays;

/**
 * Weight gradient gw[co][ci][ky][kx] = sum over images and output positions of
 * gy[n][co][oy][ox] * x[n][ci][oy*sh - ph + ky*dh][ox*sw - pw + kx*dw], as one GEMM per group whose
 * depth runs over (image, oy, ox). gy is packed in place (gathered across channels); x is first
 * copied channels-last and zero-padded, so that its packing is contiguous copies for any stride
 * and the im2col shifts are plain offsets; the product is formed as [co][(ky, kx, ci)] and
 * permuted at the end. Images are split into parts, one partial
 * sum each, reduced at the end; a part runs a few images per GEMM to bound scratch memory.
 */
final class ConvWeightGrad {
    private static final int IMAGES_PER_GEMM = 4;

    private ConvWeightGrad() {}

    static void run(ConvGeometry g, float[] x, float[] gy, float[] gw) {
        int groups = g.groups(), og = g.cOutPerGroup(), cg = g.cInPerGroup(), kk = g.kh() * g.kw();
        int cols = kk * cg, size = groups * og * cols, n = g.n();
        int threads = Parallel.threads();
        int parts = n >= threads && !Parallel.inParallel() ? Math.min(n, 4 * threads) : 1;
        // part p's partial sum at sum[p * size ..], in the calling thread's scratch (every part has an
        // image, and its first GEMM overwrites, so stale scratch contents never leak in)
        float[] sum = CpuConv2d.scratch(CpuConv2d.WGRAD, parts * size);
        Parallel.forChunks(parts, parts, (lo, hi) -> {
            for (int part = lo; part < hi; part++) {
                int i0 = (int) ((long) n * part / parts), i1 = (int) ((long) n * (part + 1) / parts);
                for (int s = i0; s < i1; s += IMAGES_PER_GEMM)
                    gemm(g, x, gy, s, Math.min(IMAGES_PER_GEMM, i1 - s), sum, part * size, s == i0);
            }
        });
        for (int p = 1; p < parts; p++)
            for (int i = 0, o = p * size; i < size; i++) sum[i] += sum[o + i];
        // [group][co][(ky, kx, ci)] -> [group*og + co][ci][ky][kx]
        for (int r = 0; r < groups * og; r++)
            for (int q = 0; q < kk; q++)
                for (int ci = 0; ci < cg; ci++) gw[(r * cg + ci) * kk + q] = sum[r * cols + q * cg + ci];
    }

    /** acc[accOff ..] (+)= the gradient contribution of images n0 .. n0+count-1. */
    private static void gemm(ConvGeometry g, float[] x, float[] gy, int n0, int count, float[] acc, int accOff, boolean first) {
        int hp = g.h() + 2 * g.ph(), wp = g.w() + 2 * g.pw(), ohw = g.outH() * g.outW();
        int og = g.cOutPerGroup(), cols = g.kh() * g.kw() * g.cInPerGroup();
        float[] xt = CpuConv2d.scratch(CpuConv2d.XT, count * hp * wp * g.cIn());
        for (int i = 0; i < count; i++) padChannelsLast(g, x, n0 + i, xt, i * hp * wp * g.cIn(), hp, wp);
        GemmPacker a = new ConvPackers.ImageRows(gy, n0, g.cOut(), og, ohw);
        GemmPacker b = new ConvPackers.ChannelsLast(xt, g, hp, wp);
        GemmDriver.run(g.groups(), og, cols, count * ohw, a, b,
                new GemmWriter.Matrix(acc, gr -> accOff + gr * og * cols, cols, 1f, first ? 0f : 1f));
    }

    /** Image img of x as [hp][wp][cIn] at dst[off], zero outside the input. */
    static void padChannelsLast(ConvGeometry g, float[] x, int img, float[] dst, int off, int hp, int wp) {
        int c = g.cIn(), h = g.h(), w = g.w();
        Arrays.fill(dst, off, off + g.ph() * wp * c, 0f);
        Arrays.fill(dst, off + (g.ph() + h) * wp * c, off + hp * wp * c, 0f);
        for (int y = 0; y < h; y++) {
            int row = off + (y + g.ph()) * wp * c;
            Arrays.fill(dst, row, row + g.pw() * c, 0f);
            Arrays.fill(dst, row + (g.pw() + w) * c, row + wp * c, 0f);
            // [c][w] slice of input row y -> [w][c] at column pw
            int src = img * c * h * w + y * w;
            for (int c0 = 0; c0 < c; c0 += 16)
                for (int x0 = 0; x0 < w; x0 += 16) {
                    int c1 = Math.min(c, c0 + 16), x1 = Math.min(w, x0 + 16);
                    for (int ci = c0; ci < c1; ci++)
                        for (int xx = x0; xx < x1; xx++) dst[row + (g.pw() + xx) * c + ci] = x[src + ci * h * w + xx];
                }
        }
    }
}
