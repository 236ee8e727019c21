package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * Times the attention paths against each other (not a test): the tensor-core kernels (bf16, and TF32 for f32), the f32-arithmetic
 * fused kernels and the composed cuBLAS path; forward, and forward + backward of sum(out * w), through
 * F.scaledDotProductAttention, median of 5 runs of 20 calls between CUDA events after warm-up, plus the peak of live
 * device memory for one forward + backward. Default shapes: [64,6,256,64] (DiT-S/2 at batch 64) and [8,16,1024,72]
 * (DiT-XL/2 at 64x64), bf16 and f32.
 * Run: java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp diffusion4j.jar:test-classes
 * dev.diffusion4j.engine.cuda.CudaAttentionBench [N H L D ...]
 */
public final class CudaAttentionBench {
    private static CudaBackend gpu;

    public static void main(String[] args) {
        Device cuda = Device.cuda(0);
        gpu = (CudaBackend) Backends.get(cuda);
        int[][] shapes = args.length >= 4 ? parse(args) : new int[][] {{64, 6, 256, 64}, {8, 16, 1024, 72}};
        System.out.println("==== attention on " + gpu.context() + " (ms per call; FLOP/s count 4 L^2 D per head forward, 2.5x that fwd+bwd)");
        System.out.printf(Locale.ROOT, "%-28s %-9s %10s %10s %12s %12s %10s%n", "shape", "path", "fwd ms", "fwd+bwd ms", "fwd TFLOP/s", "f+b TFLOP/s", "peak MiB");
        for (int[] s : shapes)
            for (DType dt : new DType[] {DType.BF16, DType.F32})
                for (String path : new String[] {"tensor", "fused", "composed"})
                    run(cuda, s, dt, path);
        CudaAttention.setUse(CudaAttention.Use.AUTO);
        CudaAttention.setTensorCores(true);
    }

    /** f32 runs with TF32 allowed (the tensor-core path needs it; cuBLAS then uses it too in the composed path). */
    private static void run(Device cuda, int[] s, DType dt, String path) {
        CudaBackend.setAllowTf32(true);
        CudaAttention.setUse(path.equals("composed") ? CudaAttention.Use.NEVER : CudaAttention.Use.ALWAYS);
        CudaAttention.setTensorCores(path.equals("tensor"));
        Generator g = new Generator(1);
        Tensor q = Tensor.randn(g, dt, cuda, s).requiresGrad(true), k = Tensor.randn(g, dt, cuda, s).requiresGrad(true);
        Tensor v = Tensor.randn(g, dt, cuda, s).requiresGrad(true), w = Tensor.randn(g, dt, cuda, s);
        Runnable forward = () -> F.scaledDotProductAttention(q.detach(), k.detach(), v.detach());
        Runnable both = () -> {
            F.scaledDotProductAttention(q, k, v).mul(w).sum().backward();
            q.zeroGrad();
            k.zeroGrad();
            v.zeroGrad();
        };
        double fwd = medianMillis(forward), fb = medianMillis(both);
        gpu.synchronize();
        gpu.collectGarbage();
        long before = gpu.memoryStats().allocatedBytes();
        gpu.context().allocator().resetPeaks();
        both.run();
        gpu.synchronize();
        long peak = gpu.memoryStats().peakAllocatedBytes() - before;
        double flops = 4.0 * s[0] * s[1] * (double) s[2] * s[2] * s[3];
        System.out.printf(Locale.ROOT, "%-28s %-9s %10.3f %10.3f %12.1f %12.1f %10.1f%n", Arrays.toString(s) + " " + dt.id(),
                path, fwd, fb, flops / fwd / 1e9, 2.5 * flops / fb / 1e9, peak / 1048576.0);
    }

    private static double medianMillis(Runnable op) {
        for (int i = 0; i < 5; i++) op.run();
        double[] t = new double[5];
        try (CudaEvent a = gpu.context().newEvent(); CudaEvent b = gpu.context().newEvent()) {
            for (int r = 0; r < t.length; r++) {
                gpu.collectGarbage();
                a.record();
                for (int i = 0; i < 20; i++) op.run();
                b.record();
                t[r] = b.millisSince(a) / 20;
            }
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    private static int[][] parse(String[] args) {
        int[][] shapes = new int[args.length / 4][];
        for (int i = 0; i < shapes.length; i++)
            shapes[i] = new int[] {Integer.parseInt(args[4 * i]), Integer.parseInt(args[4 * i + 1]), Integer.parseInt(args[4 * i + 2]), Integer.parseInt(args[4 * i + 3])};
        return shapes;
    }
}
