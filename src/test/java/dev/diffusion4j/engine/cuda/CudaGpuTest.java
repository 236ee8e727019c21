package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CUDA foundation on a real device; skipped, with the reason printed, where there is none. */
@Tag("gpu")
class CudaGpuTest {
    private static CudaContext ctx;
    private static final SplittableRandom RANDOM = new SplittableRandom();

    @BeforeAll
    static void openDevice() {
        boolean available = CudaLibraries.isAvailable();
        if (!available) System.out.println("CudaGpuTest skipped: " + CudaLibraries.unavailableReason());
        Assumptions.assumeTrue(available, () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        ctx = CudaContext.create(0);
    }

    @AfterAll
    static void closeDevice() {
        if (ctx != null) ctx.close();
    }

    private static float[] randomFloats(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (RANDOM.nextDouble() * 2 - 1);
        return v;
    }

    @Test
    void allocatorReusesBlocksAndKeepsStatistics() {
        CudaAllocator alloc = ctx.allocator();
        CudaAllocator.Stats before = alloc.stats();
        DeviceBuffer a = ctx.allocate(3_000_000);
        long address = a.address();
        a.close();
        DeviceBuffer b = ctx.allocate(2_990_000); // same size class
        assertEquals(address, b.address());
        CudaAllocator.Stats mid = alloc.stats();
        assertTrue(mid.cacheHits() >= before.cacheHits() + 1, "the freed block is reused (other threads may allocate meanwhile)");
        assertTrue(mid.peakAllocatedBytes() >= b.capacity());
        b.close();
        alloc.emptyCache();
        CudaAllocator.Stats after = alloc.stats();
        assertEquals(after.allocatedBytes(), after.reservedBytes(), "an emptied cache reserves only what live buffers hold");
        assertTrue(after.deviceFrees() > before.deviceFrees());
    }

    @Test
    void hostDeviceRoundTripKeepsEveryBit() {
        int n = 1_000_003;
        float[] src = randomFloats(n);
        float[] back = new float[n];
        try (DeviceBuffer d = ctx.allocate(4L * n); DeviceBuffer e = ctx.allocate(4L * n)) {
            ctx.upload(src, d);
            ctx.copyDeviceToDevice(e.address(), d.address(), 4L * n);
            ctx.download(e, back);
        }
        assertArrayEquals(src, back);
        short[] s = new short[777];
        for (int i = 0; i < s.length; i++) s[i] = (short) RANDOM.nextInt();
        short[] s2 = new short[s.length];
        try (DeviceBuffer d = ctx.allocate(2L * s.length)) {
            ctx.upload(s, d);
            ctx.download(d, s2);
        }
        assertArrayEquals(s, s2);
    }

    @Test
    void elementwiseKernelMatchesTheCpu() {
        int n = (1 << 20) + 17;
        float[] x = randomFloats(n);
        float a = (float) RANDOM.nextDouble(-3, 3), b = (float) RANDOM.nextDouble(-1, 1);
        float[] y = new float[n];
        try (DeviceBuffer dx = ctx.allocate(4L * n); DeviceBuffer dy = ctx.allocate(4L * n)) {
            ctx.upload(x, dx);
            ctx.fill32(dy.address(), Float.floatToRawIntBits(Float.NaN), n); // every element must be written
            DeviceFill.axpb(ctx, dx.address(), dy.address(), a, b, n);
            ctx.download(dy, y);
        }
        for (int i = 0; i < n; i++) {
            double ref = (double) a * x[i] + b;
            assertTrue(Math.abs(y[i] - ref) <= 1e-7 * Math.abs(ref) + 1e-7, () -> "mismatch: " + ref);
        }
    }

    /** Row-major C = op(A)·op(B) in double. */
    private static double[] reference(float[] a, float[] b, int m, int n, int k, boolean ta, boolean tb) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = s;
            }
        }
        return c;
    }

    private static double relativeError(float[] got, double[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(got[i])) return Double.NaN;
            num += (got[i] - ref[i]) * (got[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        return Math.sqrt(num / den);
    }

    private static float[] gemmOnDevice(Cublas blas, float[] a, float[] b, int m, int n, int k, boolean ta, boolean tb) {
        float[] c = new float[m * n];
        try (DeviceBuffer da = ctx.allocate(4L * a.length); DeviceBuffer db = ctx.allocate(4L * b.length);
                DeviceBuffer dc = ctx.allocate(4L * c.length)) {
            ctx.upload(a, da);
            ctx.upload(b, db);
            ctx.fill32(dc.address(), Float.floatToRawIntBits(Float.NaN), c.length);
            blas.sgemm(ta, tb, m, n, k, 1f, da.address(), ta ? m : k, db.address(), tb ? k : n, 0f, dc.address(), n);
            ctx.download(dc, c);
        }
        return c;
    }

    @Test
    void cublasGemmMatchesCpuDoubleInFp32AndTf32() {
        int m = 129, n = 65, k = 257;
        try (Cublas blas = new Cublas(ctx)) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    float[] a = randomFloats(m * k);
                    float[] b = randomFloats(k * n);
                    double[] ref = reference(a, b, m, n, k, ta, tb);
                    blas.setAllowTf32(false);
                    double fp32 = relativeError(gemmOnDevice(blas, a, b, m, n, k, ta, tb), ref);
                    blas.setAllowTf32(true);
                    double tf32 = relativeError(gemmOnDevice(blas, a, b, m, n, k, ta, tb), ref);
                    String what = "transA=" + ta + " transB=" + tb;
                    assertTrue(fp32 < 1e-5, what + " fp32 rel err " + fp32);
                    assertTrue(tf32 < 3e-3, what + " tf32 rel err " + tf32);
                }
            }
        }
    }

    @Test
    void bf16GemmAccumulatesInFloat32() {
        int m = 96, n = 80, k = 512;
        float[] a = randomFloats(m * k);
        float[] b = randomFloats(k * n);
        short[] a16 = new short[a.length];
        short[] b16 = new short[b.length];
        for (int i = 0; i < a.length; i++) a16[i] = Bf16.fromFloat(a[i]);
        for (int i = 0; i < b.length; i++) b16[i] = Bf16.fromFloat(b[i]);
        float[] ar = new float[a.length];
        float[] br = new float[b.length];
        for (int i = 0; i < a.length; i++) ar[i] = Bf16.toFloat(a16[i]);
        for (int i = 0; i < b.length; i++) br[i] = Bf16.toFloat(b16[i]);
        float[] c = new float[m * n];
        try (Cublas blas = new Cublas(ctx); DeviceBuffer da = ctx.allocate(2L * a.length); DeviceBuffer db = ctx.allocate(2L * b.length);
                DeviceBuffer dc = ctx.allocate(4L * c.length)) {
            ctx.upload(a16, da);
            ctx.upload(b16, db);
            blas.gemm(false, false, m, n, k, 1f, da.address(), Cublas.DataType.BF16, k, db.address(), Cublas.DataType.BF16, n,
                    0f, dc.address(), Cublas.DataType.F32, n);
            ctx.download(dc, c);
        }
        double err = relativeError(c, reference(ar, br, m, n, k, false, false));
        assertTrue(err < 1e-5, "bf16 inputs, f32 accumulate: rel err " + err);
    }

    @Test
    void stridedBatchedGemmComputesEachMatrix() {
        int batch = 3, m = 33, n = 17, k = 40;
        float[] a = randomFloats(batch * m * k);
        float[] b = randomFloats(batch * k * n);
        float[] c = new float[batch * m * n];
        try (Cublas blas = new Cublas(ctx); DeviceBuffer da = ctx.allocate(4L * a.length); DeviceBuffer db = ctx.allocate(4L * b.length);
                DeviceBuffer dc = ctx.allocate(4L * c.length)) {
            ctx.upload(a, da);
            ctx.upload(b, db);
            blas.gemmStridedBatched(false, false, m, n, k, 1f, da.address(), Cublas.DataType.F32, k, (long) m * k,
                    db.address(), Cublas.DataType.F32, n, (long) k * n, 0f, dc.address(), Cublas.DataType.F32, n, (long) m * n, batch);
            ctx.download(dc, c);
        }
        for (int i = 0; i < batch; i++) {
            double[] ref = reference(java.util.Arrays.copyOfRange(a, i * m * k, (i + 1) * m * k),
                    java.util.Arrays.copyOfRange(b, i * k * n, (i + 1) * k * n), m, n, k, false, false);
            double err = relativeError(java.util.Arrays.copyOfRange(c, i * m * n, (i + 1) * m * n), ref);
            assertTrue(err < 1e-5, "batch " + i + " rel err " + err);
        }
    }

    @Test
    void compileErrorCarriesNvrtcsLog() {
        String bad = "extern \"C\" __global__ void k(float* p) { p[0] = undefined_name; }";
        KernelCompileException e = assertThrows(KernelCompileException.class,
                () -> ctx.kernels().compile("broken.cu", bad, List.of()));
        System.out.println("compile error message:\n" + e.getMessage());
        assertTrue(e.getMessage().contains("broken.cu"), e.getMessage());
        assertTrue(e.getMessage().contains("undefined_name"), e.getMessage());
        assertTrue(e.log().contains("error"), e.log());
    }

    @Test
    void secondCompileIsADiskCacheHit(@TempDir Path dir) throws Exception {
        // A fresh source (nonce) so an earlier run's cache cannot answer the first compile.
        String src = "// nonce " + RANDOM.nextLong() + "\n"
                + "extern \"C\" __global__ void scale(float* p, float s, int n) {"
                + " int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) p[i] *= s; }";
        KernelCache first = new KernelCache(ctx, dir);
        first.compile("scale.cu", src, List.of());
        first.compile("scale.cu", src, List.of());
        assertEquals(new KernelCache.Stats(1, 0, 1), first.stats());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.filter(f -> f.getFileName().toString().endsWith(".cubin")).count());
        }
        KernelCache second = new KernelCache(ctx, dir);
        Kernel scale = second.compile("scale.cu", src, List.of()).kernel("scale");
        assertEquals(new KernelCache.Stats(0, 1, 0), second.stats());
        float[] v = randomFloats(1000);
        float[] out = new float[v.length];
        try (DeviceBuffer d = ctx.allocate(4L * v.length)) {
            ctx.upload(v, d);
            scale.launch(Dim3.blocksFor(v.length, 128), Dim3.of(128), 0, d, 2f, v.length);
            ctx.download(d, out);
        }
        for (int i = 0; i < v.length; i++) assertEquals(2 * v[i], out[i]);
        first.unloadAll();
        second.unloadAll();
    }

    @Test
    void badLaunchNamesTheCallAndTheError() {
        Kernel touch = ctx.kernels().kernel("elementwise.cu", "touch_f32");
        try (DeviceBuffer d = ctx.allocate(4096)) {
            CudaException e = assertThrows(CudaException.class, () -> touch.launch(1, 4096, d, 1)); // too many threads
            assertTrue(e.getMessage().startsWith("cuLaunchKernel(elementwise.cu:touch_f32"), e.getMessage());
            assertTrue(e.getMessage().contains("CUDA_ERROR_INVALID_VALUE"), e.getMessage());
        }
        ctx.synchronize();
    }

    @Test
    void outOfMemoryIsAClearMessage() {
        long tooMuch = ctx.properties().totalMemoryBytes() * 2;
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class, () -> ctx.allocate(tooMuch));
        System.out.println("out-of-memory message:\n" + e.getMessage());
        assertTrue(e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY"), e.getMessage());
        assertTrue(e.getMessage().contains("free of"), e.getMessage());
    }

    /** NCHW input, K(C/groups)RS filter, in double. */
    private static double[] convReference(ConvGeometry g, float[] x, float[] w) {
        int p = g.outH(), q = g.outW();
        double[] y = new double[g.n() * g.k() * p * q];
        for (int n = 0; n < g.n(); n++)
            for (int k = 0; k < g.k(); k++)
                for (int oh = 0; oh < p; oh++)
                    for (int ow = 0; ow < q; ow++) {
                        double s = 0;
                        int cg = g.c() / g.groups(), c0 = k / (g.k() / g.groups()) * cg;
                        for (int c = c0; c < c0 + cg; c++)
                            for (int r = 0; r < g.r(); r++)
                                for (int t = 0; t < g.s(); t++) {
                                    int ih = oh * g.strideH() - g.padH() + r * g.dilationH();
                                    int iw = ow * g.strideW() - g.padW() + t * g.dilationW();
                                    if (ih < 0 || ih >= g.h() || iw < 0 || iw >= g.w()) continue;
                                    s += (double) x[((n * g.c() + c) * g.h() + ih) * g.w() + iw] * w[((k * cg + c - c0) * g.r() + r) * g.s() + t];
                                }
                        y[((n * g.k() + k) * p + oh) * q + ow] = s;
                    }
        return y;
    }

    /** The two gradients by the chain rule through the same index map (groups too), in double. */
    private static double[][] convGradients(ConvGeometry g, float[] x, float[] w, float[] dy) {
        int p = g.outH(), q = g.outW();
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        for (int n = 0; n < g.n(); n++)
            for (int k = 0; k < g.k(); k++)
                for (int oh = 0; oh < p; oh++)
                    for (int ow = 0; ow < q; ow++) {
                        double gy = dy[((n * g.k() + k) * p + oh) * q + ow];
                        int cg = g.c() / g.groups(), c0 = k / (g.k() / g.groups()) * cg;
                        for (int c = c0; c < c0 + cg; c++)
                            for (int r = 0; r < g.r(); r++)
                                for (int t = 0; t < g.s(); t++) {
                                    int ih = oh * g.strideH() - g.padH() + r * g.dilationH();
                                    int iw = ow * g.strideW() - g.padW() + t * g.dilationW();
                                    if (ih < 0 || ih >= g.h() || iw < 0 || iw >= g.w()) continue;
                                    int xi = ((n * g.c() + c) * g.h() + ih) * g.w() + iw;
                                    int wi = ((k * cg + c - c0) * g.r() + r) * g.s() + t;
                                    dx[xi] += gy * w[wi];
                                    dw[wi] += gy * x[xi];
                                }
                    }
        return new double[][] {dx, dw};
    }

    /** y, dx and dw (dw starting from {@code dw0}, accumulated onto when {@code accumulate}) with every buffer {@code offset} bytes in. */
    private static float[][] runConvolution(Convolution2d conv, ConvGeometry g, float[] x, float[] w, float[] dy, float[] dw0,
            boolean accumulate, int offset) {
        float[] y = new float[(int) g.outputElements()], dx = new float[x.length], dw = dw0.clone();
        try (DeviceBuffer bx = ctx.allocate(4L * x.length + offset); DeviceBuffer bw = ctx.allocate(4L * w.length + offset);
                DeviceBuffer by = ctx.allocate(4L * y.length + offset); DeviceBuffer bdy = ctx.allocate(4L * dy.length + offset);
                DeviceBuffer bdx = ctx.allocate(4L * dx.length + offset); DeviceBuffer bdw = ctx.allocate(4L * dw.length + offset);
                DeviceBuffer staging = ctx.allocate(4L * Math.max(Math.max(x.length, dy.length), Math.max(w.length, y.length)))) {
            long ax = bx.address() + offset, aw = bw.address() + offset, ay = by.address() + offset;
            long ady = bdy.address() + offset, adx = bdx.address() + offset, adw = bdw.address() + offset;
            for (Object[] in : new Object[][] {{x, ax}, {w, aw}, {dy, ady}, {dw0, adw}}) {
                float[] v = (float[]) in[0];
                ctx.upload(v, staging);
                ctx.copyDeviceToDevice((long) in[1], staging.address(), 4L * v.length);
            }
            conv.forward(ax, aw, ay);
            conv.backwardData(aw, ady, adx);
            conv.backwardFilter(ax, ady, adw, accumulate);
            for (Object[] out : new Object[][] {{y, ay}, {dx, adx}, {dw, adw}}) {
                float[] v = (float[]) out[0];
                try (DeviceBuffer exact = ctx.allocate(4L * v.length)) {
                    ctx.copyDeviceToDevice(exact.address(), (long) out[1], 4L * v.length);
                    ctx.download(exact, v);
                }
            }
        }
        return new float[][] {y, dx, dw};
    }

    private static void assertConvolution(String what, ConvGeometry g, float[] x, float[] w, float[] dy, float[] dw0, float[][] got, double tol) {
        double[][] grads = convGradients(g, x, w, dy);
        for (int i = 0; i < dw0.length; i++) grads[1][i] += dw0[i];
        double ey = relativeError(got[0], convReference(g, x, w));
        double edx = relativeError(got[1], grads[0]);
        double edw = relativeError(got[2], grads[1]);
        System.out.printf("conv %s: rel err y %.2e dx %.2e dw %.2e%n", what, ey, edx, edw);
        assertTrue(ey < tol, what + " forward rel err " + ey);
        assertTrue(edx < tol, what + " backward-data rel err " + edx);
        assertTrue(edw < tol, what + " backward-filter rel err " + edw);
    }

    private static final List<ConvGeometry> CONV_SHAPES = List.of(ConvGeometry.of(2, 3, 9, 11, 4, 3, 1, 2),
            new ConvGeometry(2, 5, 12, 10, 6, 3, 3, 2, 2, 1, 1, 2, 2, 1),
            ConvGeometry.of(4, 32, 16, 16, 64, 3, 1, 1),
            new ConvGeometry(2, 8, 9, 9, 12, 3, 3, 1, 1, 2, 2, 1, 1, 4));

    private static Convolution2d convolution(boolean graph, Cudnn cudnn, ConvGeometry g, Convolution2d.Precision p, boolean benchmark) {
        return graph ? new CudnnGraphConvolution(cudnn, g, p, benchmark) : new CudnnConvolution(cudnn, g, p, benchmark);
    }

    /**
     * Both cuDNN paths (legacy and graph), heuristic and timed algorithm choice, strict FP32 against float64 within
     * 2e-5 (TF32 rounding would show as ~1e-3): plain, strided-padded-dilated, a U-Net-like layer and a grouped one.
     */
    @Test
    void cudnnConvolutionsMatchCpuInFp32() {
        try (Cudnn cudnn = new Cudnn(ctx)) {
            System.out.println("cuDNN version " + Cudnn.version() + " from " + CudaLibraries.loaded().get("cuDNN"));
            for (boolean graph : new boolean[] {false, true})
                for (boolean benchmark : new boolean[] {false, true})
                    for (ConvGeometry g : CONV_SHAPES) {
                        float[] x = randomFloats((int) g.inputElements()), w = randomFloats((int) g.filterElements());
                        float[] dy = randomFloats((int) g.outputElements()), dw0 = new float[w.length];
                        try (Convolution2d conv = convolution(graph, cudnn, g, Convolution2d.Precision.FP32, benchmark)) {
                            float[][] got = runConvolution(conv, g, x, w, dy, dw0, false, 0);
                            String what = g + (graph ? " graph" : " legacy") + (benchmark ? " timed" : " heuristic") + ": " + conv.describeAlgorithms();
                            assertConvolution(what, g, x, w, dy, dw0, got, 2e-5);
                        }
                    }
        }
    }

    /** The graph path accumulates filter gradients (beta 1), takes pointers that are not 16-byte aligned, and runs TF32. */
    @Test
    void graphConvolutionAccumulatesTakesUnalignedPointersAndRunsTf32() {
        try (Cudnn cudnn = new Cudnn(ctx)) {
            for (ConvGeometry g : CONV_SHAPES) {
                float[] x = randomFloats((int) g.inputElements()), w = randomFloats((int) g.filterElements());
                float[] dy = randomFloats((int) g.outputElements()), dw0 = randomFloats(w.length);
                try (Convolution2d conv = new CudnnGraphConvolution(cudnn, g, Convolution2d.Precision.FP32, false)) {
                    assertConvolution(g + " accumulating", g, x, w, dy, dw0, runConvolution(conv, g, x, w, dy, dw0, true, 0), 2e-5);
                    assertConvolution(g + " 4 bytes off alignment", g, x, w, dy, new float[w.length],
                            runConvolution(conv, g, x, w, dy, new float[w.length], false, 4), 2e-5);
                    System.out.println("  " + conv.describeAlgorithms());
                }
                try (Convolution2d conv = new CudnnGraphConvolution(cudnn, g, Convolution2d.Precision.TF32, false)) {
                    assertConvolution(g + " TF32 " + conv.describeAlgorithms(), g, x, w, dy, new float[w.length],
                            runConvolution(conv, g, x, w, dy, new float[w.length], false, 0), 5e-3);
                }
            }
        }
    }
}
