package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * A short timing of CUDA-backend ops (not a test): median of 5 runs of N back-to-back calls between CUDA events,
 * after warm-up, on random data. Bandwidth counts each input read once and each output written once.
 * Run: java --enable-native-access=ALL-UNNAMED -Ddiffusion4j.cuda.softGcBytes=1000000000000 -cp diffusion4j.jar:test-classes
 * dev.diffusion4j.engine.cuda.CudaBackendBench (the property keeps forced collections out of the timed loops, so the
 * numbers are kernels and cache hits; the cost of one collection is printed separately).
 */
public final class CudaBackendBench {
    private static CudaBackend gpu;
    private static long gcInTimedLoops;

    public static void main(String[] args) {
        Device cuda = Device.cuda(0);
        gpu = (CudaBackend) Backends.get(cuda);
        if (args.length > 0 && args[0].equals("--gc-only")) {
            gcCost(cuda, String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                    .filter(a -> a.startsWith("-XX")).toList()));
            return;
        }
        System.out.println("==== CUDA backend timings on " + gpu.context());
        Generator g = new Generator(1);
        try (var off = GradMode.off()) {
            // 64 MiB f32 operands: kernels run ~20-50 us, well above the host's cost per op
            Tensor x = Tensor.randn(g, DType.F32, cuda, 32, 128, 64, 64), y = Tensor.randn(g, DType.F32, cuda, 32, 128, 64, 64);
            Tensor xb = x.to(DType.BF16), c = Tensor.randn(g, DType.F32, cuda, 1, 128, 1, 1);
            long n = x.numel();
            bytes("copy f32 (cast to itself, flat kernel)", 8 * n, () -> gpu.cast(x, DType.F32));
            bytes("silu f32 [32,128,64,64]", 8 * n, () -> F.silu(x));
            bytes("silu bf16 [32,128,64,64]", 4 * n, () -> F.silu(xb));
            bytes("silu backward f32", 12 * n, () -> gpu.unaryBackward(dev.diffusion4j.engine.UnaryOp.SILU, x, y, y, 0, 0));
            bytes("add same shape f32", 12 * n, () -> x.add(y));
            bytes("add channel broadcast f32 (strided)", 8 * n, () -> x.add(c));
            bytes("mul transposed view f32 (strided)", 12 * n, () -> x.mul(y.transpose(2, 3)));
            bytes("permute(0,2,3,1).contiguous f32", 8 * n, () -> x.permute(0, 2, 3, 1).contiguous());
            bytes("f32 -> bf16 cast", 6 * n, () -> x.to(DType.BF16));
            bytes("sum over (0,2,3) f32", 4 * n, () -> x.sum(new int[] {0, 2, 3}, false));
            bytes("sum all f32", 4 * n, () -> x.sum());
            bytes("sum last dim f32 (rows of 4096)", 4 * n, () -> x.sum(new int[] {2, 3}, false));
            Tensor w = Tensor.randn(g, DType.F32, cuda, 128), b = Tensor.randn(g, DType.F32, cuda, 128);
            bytes("groupNormSilu fwd f32 (32 groups)", 8 * n, () -> F.groupNormSilu(x, 32, w, b, 1e-5));
            Tensor[] st = gpu.groupNormForward(x, 32, w, b, 1e-5, true);
            bytes("groupNormSilu bwd f32", 12 * n, () -> gpu.groupNormBackward(y, x, st[1], st[2], w, b, 32, true)[0]);
            Tensor s = Tensor.randn(g, DType.F32, cuda, 256, 256, 256);
            bytes("softmax last dim f32 [256,256,256]", 8 * s.numel(), () -> F.softmax(s, -1));
            Tensor ln = Tensor.randn(g, DType.F32, cuda, 32768, 512), lw = Tensor.randn(g, DType.F32, cuda, 512);
            bytes("layerNorm f32 [32768,512]", 8 * ln.numel(), () -> F.layerNorm(ln, 1, lw, lw, 1e-5));
            Tensor idx = Tensor.randint(g, 0, 32768, cuda, 16384);
            bytes("indexSelect rows f32 [16384 of 32768, 512]", 8L * 16384 * 512, () -> ln.indexSelect(0, idx));
            Tensor im = Tensor.randn(g, DType.F32, cuda, 32, 128, 32, 32);
            bytes("upsampleNearest x2 f32", 4 * im.numel() * 5, () -> F.upsampleNearest(im, 2));
            bytes("avgPool2d 2x2 f32", 4 * n * 5 / 4, () -> F.avgPool2d(x, 2, 2));
            for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                for (boolean tf32 : dt == DType.F32 ? new boolean[] {false, true} : new boolean[] {false}) {
                    CudaBackend.setAllowTf32(tf32);
                    Tensor a = Tensor.randn(g, DType.F32, cuda, 4096, 4096).to(dt), bm = Tensor.randn(g, DType.F32, cuda, 4096, 4096).to(dt);
                    flops("matmul 4096^3 " + dt.id() + (tf32 ? " tf32" : ""), 2.0 * 4096 * 4096 * 4096, () -> a.matmul(bm));
                    Tensor cx = Tensor.randn(g, DType.F32, cuda, 32, 256, 32, 32).to(dt), cw = Tensor.randn(g, DType.F32, cuda, 256, 256, 3, 3).to(dt);
                    flops("conv3x3 N32 C256 32x32 fwd " + dt.id() + (tf32 ? " tf32" : ""), 2.0 * 32 * 256 * 32 * 32 * 256 * 9, () -> F.conv2d(cx, cw, null, 1, 1));
                }
            }
            CudaBackend.setAllowTf32(false);
            // host cost per small op: many tiny launches, one synchronisation at the end
            Tensor tiny = Tensor.randn(g, DType.F32, cuda, 64);
            for (int i = 0; i < 2000; i++) tiny.mul(1.0001);
            gpu.synchronize();
            long t0 = System.nanoTime();
            Tensor t = tiny;
            for (int i = 0; i < 20000; i++) t = t.mul(1.0001);
            gpu.synchronize();
            System.out.printf(Locale.ROOT, "%-40s %9.2f us/op (host submit, 20000 dependent tiny ops)%n", "tiny op launch", (System.nanoTime() - t0) / 1e3 / 20000);
        }
        gcCost(cuda, "default flags");
        System.out.println("memory: " + gpu.memoryStats() + ", forced GCs " + gpu.forcedCollections() + " (" + gcInTimedLoops + " inside timed loops)");
    }

    /** What one forced collection costs (full GC + cleaner), with 2000 dead tensors to return each time. */
    private static void gcCost(Device cuda, String flags) {
        double gcMs = 0;
        for (int r = 0; r < 10; r++) {
            for (int i = 0; i < 2000; i++) Tensor.zeros(DType.F32, cuda, 1024);
            long t1 = System.nanoTime();
            gpu.collectGarbage();
            if (r > 0) gcMs += (System.nanoTime() - t1) / 1e6 / 9;
        }
        System.out.printf(Locale.ROOT, "%-40s %9.2f ms (System.gc + cleaner, 2000 dead tensors; %s)%n", "forced collection", gcMs, flags);
    }

    private static double medianMillis(Supplier<Tensor> op, int reps) {
        for (int i = 0; i < reps; i++) op.get(); // warm-up; its outputs, once collected, are the cache the timed loops use
        double[] t = new double[5];
        try (CudaEvent a = gpu.context().newEvent(); CudaEvent b = gpu.context().newEvent()) {
            for (int r = 0; r < t.length; r++) {
                gpu.collectGarbage(); // timed loops then see kernels and cache hits, not a full GC or cuMemAlloc
                gcInTimedLoops -= gpu.forcedCollections();
                a.record();
                for (int i = 0; i < reps; i++) op.get();
                b.record();
                t[r] = b.millisSince(a) / reps;
                gcInTimedLoops += gpu.forcedCollections();
            }
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    private static void bytes(String name, long bytes, Supplier<Tensor> op) {
        double ms = medianMillis(op, 30);
        System.out.printf(Locale.ROOT, "%-40s %9.3f ms  %7.0f GB/s%n", name, ms, bytes / ms / 1e6);
    }

    private static void flops(String name, double flops, Supplier<Tensor> op) {
        double ms = medianMillis(op, 5);
        System.out.printf(Locale.ROOT, "%-40s %9.3f ms  %7.1f TFLOP/s%n", name, ms, flops / ms / 1e9);
    }
}
