package dev.diffusion4j.cli;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.cpu.CpuBench;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.ModelPresets;
import dev.diffusion4j.train.StepBenchmark;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code diffuse bench}: engine and model throughput, printed in the formats of the PyTorch reference scripts. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure throughput. Kinds:",
                "  train  a preset's training step (img/s) and sampling forward (img*NFE/s), like ../shared/bench/ddpm_unet.py and dit.py",
                "  gemm   CPU sgemm GFLOP/s at the given sizes (default 256 512 1024 2048), like bench/numpy_sgemm.py",
                "  conv   CPU 3x3 conv2d forward+backward (default batch 32, 128 channels, 32x32), like bench/torch_conv.py"},
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} bench train --preset fmnist-small --batch 32 --device cpu",
                "  ${sys:diffuse.command:-diffuse} bench train --preset ddpm-cifar10 --batch 128 --device cuda --precision fp32,tf32,bf16",
                "  ${sys:diffuse.command:-diffuse} bench train --preset dit-s/2 --batch 256 --device cuda --precision tf32,bf16", "  ${sys:diffuse.command:-diffuse} bench gemm 1024 2048"})
public final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KIND", description = "train, gemm or conv.")
    String kind;

    @Parameters(index = "1..*", paramLabel = "N", description = "gemm: the matrix sizes; conv: BATCH CHANNELS SIZE [KERNEL] (default 32 128 32 3).")
    List<String> sizes = new ArrayList<>();

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "fmnist-small", description = "Model for 'train'. Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32", description = "Training batch for 'train'. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "10", description = "Timed training steps. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Untimed warm-up steps (and at least 3 warm-up sampling forwards). Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--warmup-seconds", paramLabel = "S", description = "Keep warming up (steps, then forwards) until S seconds have passed, "
            + "past --warmup: the JVM compiles its hot loops during a run's first seconds. Default: 10 on the CPU, 0 on CUDA.")
    Double warmupSeconds;

    @Option(names = "--sample-batch", paramLabel = "B", defaultValue = "32", description = "Batch of the sampling forwards. Default: ${DEFAULT-VALUE}.")
    int sampleBatch;

    @Option(names = "--sample-iters", paramLabel = "N", defaultValue = "5", description = "Timed sampling forwards. Default: ${DEFAULT-VALUE}.")
    int sampleIters;

    @Option(names = "--no-cuda-graphs", description = "'train' on CUDA: time the training steps and the sampling forwards eagerly instead of "
            + "replayed from CUDA graphs, as diffuse train and diffuse sample run them by default.")
    void noCudaGraphs(boolean off) { dev.diffusion4j.engine.GraphedFunction.setEnabled(!off); }

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--precision", paramLabel = "P[,P...]", defaultValue = "fp32", split = ",",
            description = "GPU math for 'train', one JSON line each: fp32, tf32 (TF32 tensor cores) or bf16 (bf16 autocast, f32 weights). "
                    + "Default: ${DEFAULT-VALUE}.")
    List<String> precision;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        checkOptions();
        switch (kind.toLowerCase(java.util.Locale.ROOT)) {
            case "gemm", "conv" -> {
                List<String> args = new ArrayList<>(List.of(kind));
                args.addAll(sizes);
                out.flush();
                CpuBench.main(args.toArray(new String[0]));
            }
            case "train" -> {
                Device dev = Device.parse(device);
                double warmS = warmupSeconds != null ? warmupSeconds : dev.equals(Device.CPU) ? 10 : 0;
                List<Precision> modes = precision.stream().map(Precision::parse).toList();
                for (Precision p : modes) {
                    var r = StepBenchmark.run(preset, ModelPresets.get(preset), dev, p, batch, warmup, warmS, steps, sampleBatch, sampleIters);
                    out.println(Json.write(r.toJson()));
                    out.flush();
                }
            }
            default -> throw new AssertionError(kind);
        }
        out.flush();
        return 0;
    }

    /** Every option and size against its allowed range before anything is timed. */
    private void checkOptions() {
        OptionChecks c = new OptionChecks(spec);
        c.oneOf("KIND", kind, List.of("train", "gemm", "conv"));
        for (String s : sizes) {
            int n = c.parse("N", s, v -> {
                try {
                    return Integer.parseInt(v.strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("sizes are whole numbers, got '" + v + "'");
                }
            });
            c.between("N", n, 1, 1 << 15);
        }
        String k = kind.toLowerCase(java.util.Locale.ROOT);
        c.require(!k.equals("train") || sizes.isEmpty(), "bench train takes no sizes (N): pick the model with --preset and the batch with --batch");
        c.require(!k.equals("conv") || sizes.isEmpty() || sizes.size() == 3 || sizes.size() == 4,
                "bench conv takes BATCH CHANNELS SIZE [KERNEL], e.g. 32 128 32; got " + sizes.size() + " number(s)");
        c.parse("--preset", preset, ModelPresets::get);
        c.between("--batch", batch, 1, TrainCommand.MAX_BATCH).atLeast("--steps", steps, 1).atLeast("--warmup", warmup, 0)
         .between("--sample-batch", sampleBatch, 1, TrainCommand.MAX_BATCH).atLeast("--sample-iters", sampleIters, 1);
        for (String p : precision) c.parse("--precision", p, Precision::parse);
        if (warmupSeconds != null) c.require(warmupSeconds >= 0 && warmupSeconds <= 3600, "--warmup-seconds must be between 0 and 3600, got " + warmupSeconds);
        if (k.equals("train")) c.device("--device", device);
    }
}
