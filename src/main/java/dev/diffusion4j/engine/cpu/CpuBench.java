package dev.diffusion4j.engine.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * CPU kernel benchmarks, one line per measurement (warm-up, then the median and the best of
 * repeats; on a shared machine the best is the steadier number, since interference only adds time):
 * <pre>
 *   gemm [n ...]          square sgemm, default 256 512 1024 2048
 *   conv [n c h k ...]    3x3 pad-1 conv2d forward + backward (data and weight), default 32 128 32
 *   tune [n ...]          sgemm blocking sweep (KC, MC, NC), configurations interleaved over rounds
 * </pre>
 * Options (anywhere): {@code --repeats R} (default 9), {@code --warmup-ms W} (default 3000; C2 needs
 * seconds to compile the vector kernels, longer on a busy machine).
 * bench/numpy_sgemm.py and bench/torch_conv.py print the same format for side-by-side runs.
 */
public final class CpuBench {
    private CpuBench() {}

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        List<String> rest = new ArrayList<>();
        int repeats = 9;
        long warmupMs = 3000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--warmup-ms" -> warmupMs = Long.parseLong(args[++i]);
                default -> rest.add(args[i]);
            }
        }
        String mode = rest.isEmpty() ? "gemm" : rest.removeFirst();
        int[] nums = rest.stream().mapToInt(Integer::parseInt).toArray();
        System.out.printf("# java %s, threads=%d, vector=%d bits%n", Runtime.version(), Parallel.threads(),
                SgemmKernel.S.vectorBitSize());
        switch (mode) {
            case "gemm" -> gemm(nums.length == 0 ? new int[] {256, 512, 1024, 2048} : nums, repeats, warmupMs);
            case "conv" -> conv(nums.length == 0 ? new int[] {32, 128, 32} : nums, repeats, warmupMs);
            case "tune" -> tune(nums.length == 0 ? new int[] {256, 1024, 2048} : nums, repeats, warmupMs);
            default -> throw new IllegalArgumentException("unknown mode " + mode + " (gemm | conv)");
        }
    }

    static void gemm(int[] sizes, int repeats, long warmupMs) {
        for (int n : sizes) {
            float[] a = random(n * n, 1), b = random(n * n, 2), c = new float[n * n];
            double[] ms = time(() -> Sgemm.gemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n), repeats, warmupMs);
            report("sgemm n=" + n, ms, 2.0 * n * n * n);
        }
    }

    /** For each n: warm up, then rounds over blocking configurations; prints each one's best GFLOP/s. */
    static void tune(int[] sizes, int repeats, long warmupMs) {
        int[][] configs = {{256, 240, 512}, {256, 360, 512}, {256, 480, 512}, {256, 600, 512}, {256, 720, 512},
            {320, 480, 512}, {384, 480, 512}, {256, 480, 256}, {256, 480, 1024}, {192, 480, 512}};
        int[] saved = {GemmDriver.KC, GemmDriver.MC, GemmDriver.NC};
        for (int n : sizes) {
            float[] a = random(n * n, 1), b = random(n * n, 2), c = new float[n * n];
            Runnable r = () -> Sgemm.gemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
            time(r, 1, warmupMs);
            double[] best = new double[configs.length];
            Arrays.fill(best, Double.MAX_VALUE);
            for (int round = 0; round < 5; round++)
                for (int i = 0; i < configs.length; i++) {
                    GemmDriver.KC = configs[i][0];
                    GemmDriver.MC = configs[i][1];
                    GemmDriver.NC = configs[i][2];
                    best[i] = Math.min(best[i], time(r, repeats, 0)[1]);
                }
            for (int i = 0; i < configs.length; i++)
                System.out.printf("tune n=%d kc=%d mc=%d nc=%d best_gflops=%.1f%n", n, configs[i][0], configs[i][1],
                        configs[i][2], 2.0 * n * n * n / best[i] / 1e6);
        }
        GemmDriver.KC = saved[0];
        GemmDriver.MC = saved[1];
        GemmDriver.NC = saved[2];
    }

    /** nums = {batch, channels, size[, kernel]}: channels -> channels, size x size, pad k/2, stride 1. */
    static void conv(int[] nums, int repeats, long warmupMs) {
        int nb = nums[0], ch = nums[1], hw = nums[2], k = nums.length > 3 ? nums[3] : 3;
        ConvGeometry g = ConvGeometry.of(nb, ch, hw, hw, ch, k, k, 1, k / 2);
        float[] x = random(g.inputSize(), 1), w = random(g.weightSize(), 2), gy = random(g.outputSize(), 3);
        float[] y = new float[g.outputSize()], gx = new float[g.inputSize()], gw = new float[g.weightSize()];
        double fwdFlops = 2.0 * g.n() * g.cOut() * g.outH() * g.outW() * (g.cIn() / g.groups()) * g.kh() * g.kw();
        String tag = String.format("n=%d c=%d hw=%d k=%d", nb, ch, hw, k);
        Runnable all = () -> {
            CpuConv2d.forward(g, x, w, null, y);
            CpuConv2d.backwardData(g, gy, w, gx);
            CpuConv2d.backwardWeight(g, x, gy, gw);
        };
        time(all, 1, warmupMs); // compiles all three passes before any is timed
        report("conv2d fwd " + tag, time(() -> CpuConv2d.forward(g, x, w, null, y), repeats, warmupMs / 3), fwdFlops);
        report("conv2d bwd_data " + tag, time(() -> CpuConv2d.backwardData(g, gy, w, gx), repeats, warmupMs / 3), fwdFlops);
        report("conv2d bwd_weight " + tag, time(() -> CpuConv2d.backwardWeight(g, x, gy, gw), repeats, warmupMs / 3), fwdFlops);
        report("conv2d fwd+bwd " + tag, time(all, repeats, warmupMs / 3), 3 * fwdFlops);
    }

    /** One line: name, median and best time, GFLOP/s at each. */
    static void report(String what, double[] ms, double flops) {
        System.out.printf("%s median_ms=%.3f gflops=%.1f best_ms=%.3f best_gflops=%.1f%n",
                what, ms[0], flops / ms[0] / 1e6, ms[1], flops / ms[1] / 1e6);
    }

    /** Runs for at least warmupMs and 20 calls, then returns {median, best} of repeats timed calls in ms. */
    static double[] time(Runnable r, int repeats, long warmupMs) {
        long end = System.nanoTime() + warmupMs * 1_000_000;
        for (int i = 0; i < 20 || System.nanoTime() < end; i++) r.run();
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t = System.nanoTime();
            r.run();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        return new double[] {ms[repeats / 2], ms[0]};
    }

    static float[] random(int size, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }
}
