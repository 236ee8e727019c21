package dev.diffusion4j.engine.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Checks and measures the CUDA foundation on the machine at hand: device and library versions, an
 * NVRTC kernel against the CPU, launch overhead, copy bandwidth, cuBLAS FP32/TF32/BF16 and a cuDNN
 * convolution. Prints a short table last. Usage: {@code CudaProbe [--device N] [--quick] [--smoke]};
 * {@code --quick} skips the 8192 products, {@code --smoke} uses tiny sizes (a functional check only).
 */
public final class CudaProbe {
    private final CudaContext ctx;
    private final List<String[]> table = new ArrayList<>();
    private final int[] gemmSizes;
    private final ConvGeometry convShape;
    private final long copyBytes;
    private final int elementwiseCount;
    private boolean failed;

    private CudaProbe(CudaContext ctx, boolean quick, boolean smoke) {
        this.ctx = ctx;
        this.gemmSizes = smoke ? new int[] {96, 160} : quick ? new int[] {4096} : new int[] {4096, 8192};
        this.convShape = smoke ? ConvGeometry.of(2, 8, 8, 8, 8, 3, 1, 1) : ConvGeometry.of(32, 256, 32, 32, 256, 3, 1, 1);
        this.copyBytes = smoke ? 1L << 20 : 1L << 30;
        this.elementwiseCount = smoke ? 1 << 16 : 1 << 24;
    }

    public static void main(String[] args) {
        int device = 0;
        boolean quick = false;
        boolean smoke = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> device = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                case "--smoke" -> smoke = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --device N, --quick, --smoke");
            }
        }
        if (!CudaLibraries.isAvailable()) {
            System.out.println("CUDA not available: " + CudaLibraries.unavailableReason());
            System.exit(2);
        }
        boolean ok;
        try (CudaContext ctx = CudaContext.create(device)) {
            CudaProbe p = new CudaProbe(ctx, quick, smoke);
            p.run();
            ok = !p.failed;
        }
        System.exit(ok ? 0 : 1);
    }

    private void run() {
        DeviceProperties d = ctx.properties();
        MemoryInfo mem = ctx.memoryInfo();
        say("device %d: %s, %s, %d SMs, %s total (%s free), L2 %s, smem/block opt-in %d KB, bus %d bit",
                d.index(), d.name(), d.arch(), d.multiprocessors(), Bytes.format(d.totalMemoryBytes()), Bytes.format(mem.freeBytes()),
                Bytes.format(d.l2CacheBytes()), d.sharedMemoryPerBlockOptin() / 1024, d.memoryBusWidthBits());
        row("device", d.name() + " (" + d.arch() + ", " + d.multiprocessors() + " SMs)");
        int drv = DriverApi.driverVersion();
        int[] nvrtc = NvrtcApi.version();
        row("driver / NVRTC", drv / 1000 + "." + drv % 1000 / 10 + " / " + nvrtc[0] + "." + nvrtc[1]);
        section("elementwise", this::elementwise);
        section("launch overhead", this::launchOverhead);
        section("bandwidth", this::bandwidth);
        section("cuBLAS", this::gemms);
        section("cuDNN", this::convolutions);
        for (Map.Entry<String, java.nio.file.Path> e : CudaLibraries.loaded().entrySet()) say("loaded %-16s %s", e.getKey(), e.getValue());
        say("allocator: %s", ctx.allocator().stats());
        KernelCache.Stats ks = ctx.kernels().stats();
        say("kernel cache %s: %d compiled, %d from disk, %d from memory", ctx.kernels().directory(), ks.compiles(), ks.diskHits(), ks.memoryHits());
        printTable();
    }

    private void section(String name, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            failed = true;
            System.out.println("FAILED " + name + ": " + e);
            e.printStackTrace(System.out);
            row(name, "FAILED: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    // ---- elementwise: NVRTC compile, launch, compare with the CPU ----

    private void elementwise() {
        long t0 = System.nanoTime();
        ctx.kernels().module("elementwise.cu");
        double loadMs = (System.nanoTime() - t0) / 1e6;
        KernelCache.Stats ks = ctx.kernels().stats();
        row("kernel load", fmt("%.0f ms (%s)", loadMs, ks.compiles() > 0 ? "NVRTC compile" : "disk cache hit"));
        Kernel axpb = ctx.kernels().kernel("elementwise.cu", "axpb_f32");
        say("axpb_f32: %d registers", axpb.registers());
        int n = elementwiseCount;
        float[] x = new float[n];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        float a = 1.7f, b = -0.3f;
        try (DeviceBuffer dx = ctx.allocate(4L * n); DeviceBuffer dy = ctx.allocate(4L * n)) {
            ctx.upload(x, dx);
            ctx.fill32(dy.address(), Float.floatToRawIntBits(Float.NaN), n); // poison: every element must be written
            DeviceFill.axpb(ctx, dx.address(), dy.address(), a, b, n);
            float[] y = new float[n];
            ctx.download(dy, y);
            double maxErr = 0;
            for (int i = 0; i < n; i++) {
                double err = Math.abs(y[i] - ((double) a * x[i] + b));
                if (Double.isNaN(err)) {
                    maxErr = Double.NaN;
                    break;
                }
                maxErr = Math.max(maxErr, err);
            }
            boolean ok = maxErr <= 1e-6;
            if (!ok) failed = true;
            row("axpb vs CPU", fmt("max abs err %.2e over %d (%s)", maxErr, n, ok ? "ok" : "WRONG"));
            // Its own bandwidth: read x, write y.
            long big = 4L * n;
            try (DeviceBuffer bx = ctx.allocate(4 * big); DeviceBuffer by = ctx.allocate(4 * big)) {
                DeviceFill.uniform(ctx, bx.address(), big, 1, -1, 1);
                float ms = timeMedian(10, () -> DeviceFill.axpb(ctx, bx.address(), by.address(), a, b, big));
                row("axpb bandwidth", fmt("%.0f GB/s (%s in + out, %.3f ms)", 8.0 * big / ms / 1e6, Bytes.format(4 * big), ms));
            }
        }
    }

    // ---- launch overhead ----

    private void launchOverhead() {
        Kernel touch = ctx.kernels().kernel("elementwise.cu", "touch_f32");
        try (DeviceBuffer p = ctx.allocate(4 * 32)) {
            ctx.fill32(p.address(), 0, 32);
            for (boolean critical : new boolean[] {false, true}) {
                Kernel.criticalLaunch = critical;
                int n = 20000;
                double[] hostUs = new double[5];
                double[] deviceUs = new double[5];
                for (int w = 0; w < 3000; w++) touch.launch(1, 32, p, 32);
                ctx.synchronize();
                for (int rep = 0; rep < 5; rep++) {
                    try (CudaEvent start = ctx.newEvent(); CudaEvent end = ctx.newEvent()) {
                        start.record();
                        long t0 = System.nanoTime();
                        for (int i = 0; i < n; i++) touch.launch(1, 32, p, 32);
                        long t1 = System.nanoTime();
                        end.record();
                        deviceUs[rep] = end.millisSince(start) * 1e3 / n;
                        hostUs[rep] = (t1 - t0) / 1e3 / n;
                    }
                }
                Kernel.criticalLaunch = false;
                row("launch " + (critical ? "(critical)" : "(default)"),
                        fmt("%.2f us host per launch, %.2f us device per launch", median(hostUs), median(deviceUs)));
            }
            float[] check = new float[32];
            ctx.download(p, check);
            float expect = 3000 * 2 + 20000 * 5 * 2;
            if (check[0] != expect) {
                failed = true;
                row("launch count", "WRONG: " + check[0] + " != " + expect);
            }
        } finally {
            Kernel.criticalLaunch = false;
        }
    }

    // ---- bandwidth ----

    private void bandwidth() {
        long bytes = copyBytes;
        try (DeviceBuffer src = ctx.allocate(bytes); DeviceBuffer dst = ctx.allocate(bytes)) {
            DeviceFill.uniform(ctx, src.address(), bytes / 4, 3, -1, 1);
            float ms = timeMedian(10, () -> ctx.copyDeviceToDevice(dst.address(), src.address(), bytes));
            row("copy D2D", fmt("%.0f GB/s (%s, read+write counted, %.3f ms)", 2.0 * bytes / ms / 1e6, Bytes.format(bytes), ms));
            long hostBytes = bytes / 4;
            try (PinnedBuffer host = ctx.allocatePinned(hostBytes)) {
                MemorySegment seg = host.segment();
                seg.fill((byte) 1);
                float h2d = timeMedian(5, () -> ctx.copyToDeviceAsync(seg, dst.address(), hostBytes));
                float d2h = timeMedian(5, () -> ctx.copyToHostAsync(src.address(), seg, hostBytes));
                row("copy H2D / D2H pinned", fmt("%.1f / %.1f GB/s (%s)", hostBytes / h2d / 1e6, hostBytes / d2h / 1e6, Bytes.format(hostBytes)));
            }
        }
    }

    // ---- cuBLAS ----

    private void gemms() {
        try (Cublas blas = new Cublas(ctx)) {
            say("cuBLAS %d, cuBLASLt %d", blas.version(), CublasApi.ltVersion());
            for (int n : gemmSizes) gemmSize(blas, n);
            smallGemmLatency(blas, gemmSizes[0] < 1024 ? 16 : 256);
        }
    }

    /** Per-call cost of small products, where launch and library overhead dominate. */
    private void smallGemmLatency(Cublas blas, int n) {
        long nn = (long) n * n;
        try (DeviceBuffer a = ctx.allocate(4 * nn); DeviceBuffer b = ctx.allocate(4 * nn); DeviceBuffer c = ctx.allocate(4 * nn)) {
            DeviceFill.uniform(ctx, a.address(), nn, 5, -1, 1);
            DeviceFill.uniform(ctx, b.address(), nn, 6, -1, 1);
            int calls = 1000;
            long[] host = new long[1];
            float ms = timeMedian(5, () -> {
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) blas.sgemm(false, false, n, n, n, 1f, a.address(), n, b.address(), n, 0f, c.address(), n);
                host[0] = System.nanoTime() - t0;
            });
            row(fmt("gemm FP32 %d x%d", n, calls), fmt("%.2f us device per call, %.2f us host per call", ms * 1e3 / calls, host[0] / 1e3 / calls));
        }
    }

    private void gemmSize(Cublas blas, int n) {
        long nn = (long) n * n;
        try (DeviceBuffer a = ctx.allocate(4 * nn); DeviceBuffer b = ctx.allocate(4 * nn); DeviceBuffer c = ctx.allocate(4 * nn);
                DeviceBuffer a16 = ctx.allocate(2 * nn); DeviceBuffer b16 = ctx.allocate(2 * nn); DeviceBuffer c16 = ctx.allocate(2 * nn)) {
            DeviceFill.uniform(ctx, a.address(), nn, 11 + n, -1, 1);
            DeviceFill.uniform(ctx, b.address(), nn, 13 + n, -1, 1);
            DeviceFill.toBf16(ctx, a.address(), a16.address(), nn);
            DeviceFill.toBf16(ctx, b.address(), b16.address(), nn);
            float[] ha = new float[(int) nn];
            float[] hb = new float[(int) nn];
            ctx.download(a, ha);
            ctx.download(b, hb);
            double flops = 2.0 * n * n * (double) n;
            int reps = n >= 8192 ? 10 : 20;
            for (String mode : List.of("FP32", "TF32", "BF16")) {
                blas.setAllowTf32(mode.equals("TF32"));
                Runnable op = mode.equals("BF16")
                        ? () -> blas.gemm(false, false, n, n, n, 1f, a16.address(), Cublas.DataType.BF16, n, b16.address(),
                                Cublas.DataType.BF16, n, 0f, c16.address(), Cublas.DataType.BF16, n)
                        : () -> blas.sgemm(false, false, n, n, n, 1f, a.address(), n, b.address(), n, 0f, c.address(), n);
                ctx.fill32((mode.equals("BF16") ? c16 : c).address(), Float.floatToRawIntBits(Float.NaN), mode.equals("BF16") ? nn / 2 : nn);
                float ms = timeMedian(reps, op);
                double err = mode.equals("BF16") ? sampledErrorBf16(c16, ha, hb, n) : sampledError(c, ha, hb, n);
                double limit = switch (mode) { case "FP32" -> 1e-5; case "TF32" -> 3e-3; default -> 1e-2; };
                boolean ok = err < limit;
                if (!ok) failed = true;
                row(fmt("gemm %s %d", mode, n), fmt("%.1f TFLOP/s (%.3f ms), rel err %.1e %s", flops / ms / 1e9, ms, err, ok ? "ok" : "WRONG"));
            }
            blas.setAllowTf32(false);
        }
    }

    /** ‖C − ref‖/‖ref‖ over 256 sampled entries, ref in double from the float inputs. */
    private double sampledError(DeviceBuffer c, float[] a, float[] b, int n) {
        float[] hc = new float[n * n];
        ctx.download(c, hc);
        return sampled(n, a, b, (i, j) -> hc[i * n + j], false);
    }

    private double sampledErrorBf16(DeviceBuffer c16, float[] a, float[] b, int n) {
        short[] hc = new short[n * n];
        ctx.download(c16, hc);
        return sampled(n, a, b, (i, j) -> Bf16.toFloat(hc[i * n + j]), true);
    }

    private interface Entry {
        float at(int i, int j);
    }

    private static double sampled(int n, float[] a, float[] b, Entry c, boolean bf16Inputs) {
        SplittableRandom r = new SplittableRandom(n);
        double num = 0, den = 0;
        for (int s = 0; s < 256; s++) {
            int i = r.nextInt(n), j = r.nextInt(n);
            double ref = 0;
            for (int k = 0; k < n; k++) {
                double x = a[i * n + k], y = b[k * n + j];
                if (bf16Inputs) {
                    x = Bf16.toFloat(Bf16.fromFloat((float) x));
                    y = Bf16.toFloat(Bf16.fromFloat((float) y));
                }
                ref += x * y;
            }
            double got = c.at(i, j);
            if (Double.isNaN(got)) return Double.NaN;
            num += (got - ref) * (got - ref);
            den += ref * ref;
        }
        return Math.sqrt(num / den);
    }

    // ---- cuDNN ----

    private void convolutions() {
        long version = Cudnn.version();
        say("cuDNN %d", version);
        ConvGeometry g = convShape;
        try (Cudnn cudnn = new Cudnn(ctx)) {
            for (Convolution2d.Precision p : Convolution2d.Precision.values()) {
                int es = p == Convolution2d.Precision.BF16 ? 2 : 4;
                try (Convolution2d conv = new CudnnConvolution(cudnn, g, p, false);
                        DeviceBuffer x = ctx.allocate(es * g.inputElements()); DeviceBuffer w = ctx.allocate(es * g.filterElements());
                        DeviceBuffer y = ctx.allocate(es * g.outputElements()); DeviceBuffer dy = ctx.allocate(es * g.outputElements());
                        DeviceBuffer dx = ctx.allocate(es * g.inputElements()); DeviceBuffer dw = ctx.allocate(es * g.filterElements());
                        DeviceBuffer tmp = ctx.allocate(4 * Math.max(g.inputElements(), g.outputElements()))) {
                    fillAs(p, x, tmp, g.inputElements(), 21);
                    fillAs(p, w, tmp, g.filterElements(), 22);
                    fillAs(p, dy, tmp, g.outputElements(), 23);
                    float fwd = timeMedian(10, () -> conv.forward(x.address(), w.address(), y.address()));
                    float bwdData = timeMedian(10, () -> conv.backwardData(w.address(), dy.address(), dx.address()));
                    float bwdFilter = timeMedian(10, () -> conv.backwardFilter(x.address(), dy.address(), dw.address(), false));
                    row("conv3x3 " + p + " fwd/dgrad/wgrad", fmt("%.0f / %.0f / %.0f TFLOP/s (algos %s)", g.flops() / fwd / 1e9,
                            g.flops() / bwdData / 1e9, g.flops() / bwdFilter / 1e9, conv.describeAlgorithms()));
                }
            }
        }
        say("conv geometry: %s, %.1f GFLOP per pass", g, g.flops() / 1e9);
    }

    private void fillAs(Convolution2d.Precision p, DeviceBuffer dst, DeviceBuffer tmp, long count, long seed) {
        if (p == Convolution2d.Precision.BF16) {
            DeviceFill.uniform(ctx, tmp.address(), count, seed, -1, 1);
            DeviceFill.toBf16(ctx, tmp.address(), dst.address(), count);
        } else {
            DeviceFill.uniform(ctx, dst.address(), count, seed, -1, 1);
        }
    }

    // ---- timing and output ----

    /** Median device time of one call over {@code reps} timed calls, after two warm-up calls. */
    private float timeMedian(int reps, Runnable op) {
        op.run();
        op.run();
        ctx.synchronize();
        float[] ms = new float[reps];
        try (CudaEvent start = ctx.newEvent(); CudaEvent end = ctx.newEvent()) {
            for (int i = 0; i < reps; i++) {
                start.record();
                op.run();
                end.record();
                ms[i] = end.millisSince(start);
            }
        }
        Arrays.sort(ms);
        return ms[reps / 2];
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private void row(String key, String value) {
        table.add(new String[] {key, value});
        System.out.println(key + ": " + value);
    }

    private static void say(String format, Object... args) {
        System.out.println(fmt(format, args));
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private void printTable() {
        int w = table.stream().mapToInt(r -> r[0].length()).max().orElse(10);
        System.out.println();
        System.out.println("==== CudaProbe summary" + (failed ? " (SOME CHECKS FAILED)" : " (all checks passed)") + " ====");
        for (String[] r : table) System.out.println(String.format(Locale.ROOT, "%-" + w + "s  %s", r[0], r[1]));
    }
}
