package dev.diffusion4j.engine.cpu;

import java.util.Arrays;
import java.util.function.IntUnaryOperator;

/**
 * 2-D convolution on contiguous NCHW arrays (offset 0): x is n x cIn x h x w, w is
 * cOut x cIn/groups x kh x kw, y is n x cOut x outH x outW (see {@link ConvGeometry}).
 *
 * <p>float: everything is GEMM through {@link GemmDriver} with packers that read images directly
 * (no im2col matrix). Stride 1 pads each image once and packs shifted rows; other strides use a
 * general im2col packer; backward-data at stride 1 is a forward conv with flipped weights, else
 * GEMM + col2im; backward-weight works on channels-last copies for contiguous packing. double:
 * direct loops, for gradient checks. Outputs are overwritten (not accumulated).
 */
public final class CpuConv2d {
    /** Per-thread scratch slots (padded images, channels-last copies, column buffers), reused between calls. */
    static final int PAD = 0, XT = 1, COL = 2, WPACK = 3, FLIP = 4, WGRAD = 5;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[6][]);

    private CpuConv2d() {}

    static float[] scratch(int slot, int size) {
        float[][] s = SCRATCH.get();
        if (s[slot] == null || s[slot].length < size) s[slot] = new float[size];
        return s[slot];
    }

    /** y = conv(x, w) + bias; bias (length cOut) may be null. */
    public static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y) {
        check(g, x.length, w.length, y.length, bias == null ? -1 : bias.length);
        if (g.sh() == 1 && g.sw() == 1) forwardStride1(g, x, w, bias, y);
        else forwardGeneral(g, x, w, bias, y);
    }

    /** gx = gradient of the loss wrt x, given gy (gradient wrt y) and w. */
    public static void backwardData(ConvGeometry g, float[] gy, float[] w, float[] gx) {
        check(g, gx.length, w.length, gy.length, -1);
        int fh = (g.kh() - 1) * g.dh() - g.ph(), fw = (g.kw() - 1) * g.dw() - g.pw();
        if (g.sh() == 1 && g.sw() == 1 && fh >= 0 && fw >= 0) {
            // At stride 1 the data gradient is a convolution of gy with the flipped, transposed kernel.
            ConvGeometry t = new ConvGeometry(g.n(), g.cOut(), g.outH(), g.outW(), g.cIn(), g.kh(), g.kw(),
                    1, 1, fh, fw, g.dh(), g.dw(), g.groups());
            forwardStride1(t, gy, flipTranspose(g, w), null, gx);
        } else {
            backwardDataGeneral(g, gy, w, gx);
        }
    }

    /** gw = gradient of the loss wrt w, given x and gy. The bias gradient is the caller's plain sum of gy. */
    public static void backwardWeight(ConvGeometry g, float[] x, float[] gy, float[] gw) {
        check(g, x.length, gw.length, gy.length, -1);
        ConvWeightGrad.run(g, x, gy, gw);
    }

    /**
     * Transposed convolution ("deconvolution"): g describes the matching forward convolution, so x
     * has g's output shape, w has g's weight shape (cOut x cIn/groups x kh x kw, as PyTorch's
     * ConvTranspose2d weight with in/out swapped), y gets g's input shape; bias has length g.cIn().
     */
    public static void transposedForward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y) {
        backwardData(g, x, w, y);
        if (bias != null) addChannelBias(y, bias, g.n(), g.cIn(), g.h() * g.w());
    }

    // ---- float, stride 1 ------------------------------------------------------------------

    /** Pads each image once, then one GEMM per (image, group) whose packer reads shifted rows of the padded image. */
    static void forwardStride1(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y) {
        int hp = g.h() + 2 * g.ph(), wp = g.w() + 2 * g.pw(), plane = hp * wp;
        int oh = g.outH(), ow = g.outW(), groups = g.groups(), cg = g.cInPerGroup(), og = g.cOutPerGroup();
        int k = cg * g.kh() * g.kw(), img = g.cIn() * plane;
        int[] shift = new int[k];
        for (int ci = 0, q = 0; ci < cg; ci++)
            for (int ky = 0; ky < g.kh(); ky++)
                for (int kx = 0; kx < g.kw(); kx++) shift[q++] = ci * plane + ky * g.dh() * wp + kx * g.dw();
        boolean copy = g.ph() > 0 || g.pw() > 0;
        GemmPacker weights = packedWeights(w, groups, og, k);
        // One image (or a few) per task keeps its padded copy in L2; a small batch shares one copy and splits tiles.
        int threads = Parallel.threads(), n = g.n();
        boolean perImage = n >= 2 * threads || Parallel.inParallel();
        int step = perImage ? 1 : n;
        // one image per chunk: fine-grained claiming keeps both cores busy to the end when one is slowed
        Parallel.forChunks(perImage ? n : 1, perImage ? n : 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                int n0 = i * step, count = Math.min(step, n - n0);
                float[] buf = x;
                int bufBase = n0 * img;
                if (copy) {
                    buf = scratch(PAD, count * img);
                    padImages(g, x, n0, count, buf);
                    bufBase = 0;
                }
                int bb = bufBase;
                IntUnaryOperator outBase = b -> ((n0 + b / groups) * g.cOut() + (b % groups) * og) * oh * ow;
                IntUnaryOperator biasOff = b -> (b % groups) * og;
                if (wp == ow || ow % SgemmKernel.NR == 0) { // slivers are whole output rows already: no extra columns
                    GemmPacker cols = new ConvPackers.ShiftedRows(buf, b -> bb + (b / groups) * img + (b % groups) * cg * plane, shift, ow, wp);
                    GemmDriver.run(count * groups, og, oh * ow, k, weights, cols, new ConvPackers.ConvOut(y, outBase, oh * ow, bias, biasOff));
                } else {
                    // GEMM columns run over output rows of padded width wp: every sliver is one contiguous
                    // copy of the padded image; the wp - ow extra columns per row are computed and dropped.
                    GemmPacker cols = new ConvPackers.ShiftedRows(buf, b -> bb + (b / groups) * img + (b % groups) * cg * plane, shift, wp, wp);
                    GemmDriver.run(count * groups, og, (oh - 1) * wp + ow, k, weights, cols,
                            new ConvPackers.ConvOutPadded(y, outBase, oh * ow, ow, wp, bias, biasOff));
                }
            }
        });
    }

    /** Copies images n0.. into buf with zero borders of ph rows and pw columns. */
    static void padImages(ConvGeometry g, float[] x, int n0, int count, float[] buf) {
        int h = g.h(), w = g.w(), ph = g.ph(), pw = g.pw(), wp = w + 2 * pw, hp = h + 2 * ph;
        int planes = count * g.cIn();
        for (int c = 0; c < planes; c++) {
            int src = (n0 * g.cIn() + c) * h * w, dst = c * hp * wp;
            Arrays.fill(buf, dst, dst + ph * wp, 0f);
            for (int yy = 0; yy < h; yy++) {
                int d = dst + (yy + ph) * wp;
                Arrays.fill(buf, d, d + pw, 0f);
                System.arraycopy(x, src + yy * w, buf, d + pw, w);
                Arrays.fill(buf, d + pw + w, d + wp, 0f);
            }
            Arrays.fill(buf, dst + (ph + h) * wp, dst + hp * wp, 0f);
        }
    }

    /**
     * The weights [groups*og, k] packed once for the forward GEMMs, in slivers of SgemmKernel.rowsFor(og) rows, in the
     * calling thread's scratch (as the flipped kernels below): a conv's per-call temporaries were a steady share of a
     * training step's allocation, and so of GC work.
     */
    private static GemmPacker packedWeights(float[] w, int groups, int og, int k) {
        int mr = SgemmKernel.rowsFor(og);
        return GemmPacker.prepack(GemmPacker.matrix(w, 0, k, og * k, true), groups, og, k, mr, scratch(WPACK, GemmPacker.prepackSize(groups, og, k, mr)));
    }

    /** w'[g*cg + ci][co][ky][kx] = w[g*og + co][ci][kh-1-ky][kw-1-kx]: the kernel of the data gradient. */
    static float[] flipTranspose(ConvGeometry g, float[] w) {
        int cg = g.cInPerGroup(), og = g.cOutPerGroup(), kk = g.kh() * g.kw();
        float[] t = scratch(FLIP, g.weightSize());
        for (int gr = 0; gr < g.groups(); gr++)
            for (int co = 0; co < og; co++)
                for (int ci = 0; ci < cg; ci++) {
                    int src = ((gr * og + co) * cg + ci) * kk, dst = ((gr * cg + ci) * og + co) * kk;
                    for (int q = 0; q < kk; q++) t[dst + q] = w[src + kk - 1 - q];
                }
        return t;
    }

    // ---- float, any stride ----------------------------------------------------------------

    static void forwardGeneral(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y) {
        int groups = g.groups(), cg = g.cInPerGroup(), og = g.cOutPerGroup(), ohw = g.outH() * g.outW();
        int k = cg * g.kh() * g.kw(), img = g.cIn() * g.h() * g.w();
        GemmPacker weights = packedWeights(w, groups, og, k);
        GemmPacker cols = new ConvPackers.Im2col(x, b -> (b / groups) * img + (b % groups) * cg * g.h() * g.w(), g);
        GemmWriter out = new ConvPackers.ConvOut(y, b -> ((b / groups) * g.cOut() + (b % groups) * og) * ohw,
                ohw, bias, b -> (b % groups) * og);
        GemmDriver.run(g.n() * groups, og, ohw, k, weights, cols, out);
    }

    /** Per image: columns = w^T gy (one GEMM per group), then scatter-add the columns into gx (col2im). */
    static void backwardDataGeneral(ConvGeometry g, float[] gy, float[] w, float[] gx) {
        int cg = g.cInPerGroup(), og = g.cOutPerGroup(), ohw = g.outH() * g.outW(), hw = g.h() * g.w();
        int k = cg * g.kh() * g.kw();
        Parallel.forRange(g.n(), 1, (lo, hi) -> {
            float[] col = scratch(COL, k * ohw);
            for (int n = lo; n < hi; n++) {
                Arrays.fill(gx, n * g.cIn() * hw, (n + 1) * g.cIn() * hw, 0f);
                for (int gr = 0; gr < g.groups(); gr++) {
                    Sgemm.gemm(true, false, k, ohw, og, 1f, w, gr * og * k, k, gy, (n * g.cOut() + gr * og) * ohw, ohw, 0f, col, 0, ohw);
                    col2im(g, col, gx, (n * g.cIn() + gr * cg) * hw);
                }
            }
        });
    }

    /** gx[base + ci][iy][ix] += col[(ci, ky, kx)][(oy, ox)] over in-range positions. */
    static void col2im(ConvGeometry g, float[] col, float[] gx, int base) {
        int oh = g.outH(), ow = g.outW(), h = g.h(), wd = g.w();
        for (int ci = 0, q = 0; ci < g.cInPerGroup(); ci++)
            for (int ky = 0; ky < g.kh(); ky++)
                for (int kx = 0; kx < g.kw(); kx++, q++) {
                    int cb = base + ci * h * wd;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * g.sh() - g.ph() + ky * g.dh();
                        if (iy < 0 || iy >= h) continue;
                        int src = (q * oh + oy) * ow, dst = cb + iy * wd;
                        for (int ox = 0; ox < ow; ox++) {
                            int ix = ox * g.sw() - g.pw() + kx * g.dw();
                            if (ix >= 0 && ix < wd) gx[dst + ix] += col[src + ox];
                        }
                    }
                }
    }

    static void addChannelBias(float[] y, float[] bias, int n, int c, int plane) {
        for (int i = 0; i < n * c; i++) {
            float b = bias[i % c];
            for (int j = i * plane, e = j + plane; j < e; j++) y[j] += b;
        }
    }

    // ---- double: direct loops for gradient checks ------------------------------------------

    public static void forward(ConvGeometry g, double[] x, double[] w, double[] bias, double[] y) {
        check(g, x.length, w.length, y.length, bias == null ? -1 : bias.length);
        ConvDouble.forward(g, x, w, bias, y);
    }

    public static void backwardData(ConvGeometry g, double[] gy, double[] w, double[] gx) {
        check(g, gx.length, w.length, gy.length, -1);
        ConvDouble.backwardData(g, gy, w, gx);
    }

    public static void backwardWeight(ConvGeometry g, double[] x, double[] gy, double[] gw) {
        check(g, x.length, gw.length, gy.length, -1);
        ConvDouble.backwardWeight(g, x, gy, gw);
    }

    public static void transposedForward(ConvGeometry g, double[] x, double[] w, double[] bias, double[] y) {
        backwardData(g, x, w, y);
        if (bias != null) {
            int plane = g.h() * g.w();
            for (int i = 0; i < g.n() * g.cIn(); i++)
                for (int j = i * plane, e = j + plane; j < e; j++) y[j] += bias[i % g.cIn()];
        }
    }

    static void check(ConvGeometry g, int xLen, int wLen, int yLen, int biasLen) {
        if (xLen < g.inputSize() || wLen < g.weightSize() || yLen < g.outputSize() || (biasLen >= 0 && biasLen < g.cOut()))
            throw new IllegalArgumentException("array sizes (input " + xLen + ", weight " + wLen + ", output " + yLen
                    + (biasLen >= 0 ? ", bias " + biasLen : "") + ") too small for " + g + ": need input " + g.inputSize()
                    + ", weight " + g.weightSize() + ", output " + g.outputSize() + (biasLen >= 0 ? ", bias " + g.cOut() : ""));
    }
}
