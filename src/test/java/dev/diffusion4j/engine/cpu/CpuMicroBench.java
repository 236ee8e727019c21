package dev.diffusion4j.engine.cpu;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * Single-thread CPU-time micro-benchmarks of the CPU backend's hot kernels (a test-side main, not a test):
 * the thread's own CPU time (ThreadMXBean), best of R after warm-up, so that other processes on a shared
 * machine add little. Run with one backend thread:
 * <pre>
 *   mvn -q -o test-compile && java --add-modules jdk.incubator.vector -Ddiffusion4j.threads=1 \
 *     -cp target/classes:target/test-classes dev.diffusion4j.engine.cpu.CpuMicroBench [gemm|conv|all]
 * </pre>
 * (java: a JDK 25.) Conv shapes are those of a fmnist-small training step at batch 8 (3x3, pad 1, stride 1).
 */
public final class CpuMicroBench {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    private CpuMicroBench() {}

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        String what = args.length > 0 ? args[0] : "all";
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        System.out.printf("# threads=%d (use -Ddiffusion4j.threads=1), best of %d, thread CPU ms%n", Parallel.threads(), reps);
        if (what.equals("gemm") || what.equals("all"))
            for (int n : new int[] {256, 512, 1024}) gemm(n, reps);
        if (what.equals("conv") || what.equals("all")) {
            conv(8, 64, 64, 28, reps);
            conv(8, 128, 128, 14, reps);
            conv(8, 128, 128, 7, reps);
            conv(8, 192, 128, 14, reps);
            conv(8, 64, 64, 8, reps);
        }
    }

    static void gemm(int n, int reps) {
        float[] a = CpuBench.random(n * n, 1), b = CpuBench.random(n * n, 2), c = new float[n * n];
        double ms = best(() -> Sgemm.gemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n), reps);
        System.out.printf("sgemm n=%d ms=%.3f gflops=%.1f%n", n, ms, 2.0 * n * n * n / ms / 1e6);
    }

    static void conv(int nb, int cin, int cout, int hw, int reps) {
        ConvGeometry g = ConvGeometry.of(nb, cin, hw, hw, cout, 3, 3, 1, 1);
        float[] x = CpuBench.random(g.inputSize(), 1), w = CpuBench.random(g.weightSize(), 2), gy = CpuBench.random(g.outputSize(), 3);
        float[] bias = CpuBench.random(cout, 4);
        float[] y = new float[g.outputSize()], gx = new float[g.inputSize()], gw = new float[g.weightSize()];
        double flops = 2.0 * nb * cout * hw * hw * cin * 9;
        double f = best(() -> CpuConv2d.forward(g, x, w, bias, y), reps);
        double d = best(() -> CpuConv2d.backwardData(g, gy, w, gx), reps);
        double wg = best(() -> CpuConv2d.backwardWeight(g, x, gy, gw), reps);
        System.out.printf("conv n=%d %d->%d %dx%d fwd=%.3f bwd_data=%.3f bwd_weight=%.3f ms (GFLOP/s %.0f / %.0f / %.0f)%n",
                nb, cin, cout, hw, hw, f, d, wg, flops / f / 1e6, flops / d / 1e6, flops / wg / 1e6);
    }

    /** Warm-up for at least 2 s of CPU time, then the best of reps timed calls, in thread CPU ms. */
    static double best(Runnable r, int reps) {
        long start = MX.getCurrentThreadCpuTime();
        for (int i = 0; i < 10 || MX.getCurrentThreadCpuTime() - start < 2_000_000_000L; i++) r.run();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t = MX.getCurrentThreadCpuTime();
            r.run();
            best = Math.min(best, (MX.getCurrentThreadCpuTime() - t) / 1e6);
        }
        return best;
    }
}
