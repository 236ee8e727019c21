package dev.diffusion4j.train;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.TimestepSampler;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.Autocast;
import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.FlopCounter;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.MemoryUsage;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.GraphedFunction;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.cuda.CudaBackend;
import dev.diffusion4j.engine.cuda.LaunchProfile;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.nn.Parameter;
import dev.diffusion4j.nn.optim.AdamConfig;
import dev.diffusion4j.nn.optim.AdamW;
import dev.diffusion4j.nn.optim.GradClip;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Times what ../shared/bench/ddpm_unet.py and dit.py time, the same way (class-conditional models get random labels,
 * a learned variance's extra channels stay out of the loss, as in dit.py): training steps (Adam lr 2e-4, gradient clipping at
 * 1.0, MSE on eps under the linear schedule, T=1000) in images/s, and no-grad sampling forwards at a fixed t in
 * image-NFEs/s, each after warm-up steps, with one device sync at the end of each timed loop. On CUDA both go through
 * the paths the trainer and the samplers take: a sampling forward is replayed from a CUDA graph, and so is a step's
 * forward, backward and clipping (unless -Ddiffusion4j.cuda.trainingGraphs=false; {@code "sample_cuda_graphs"} and
 * {@code "train_cuda_graphs"} in the JSON say whether the timed ones were; -Ddiffusion4j.cuda.graphs=false or
 * --no-cuda-graphs runs both eagerly).
 *
 * <p>The first sampling forward is counted by a {@link FlopCounter}: its FLOPs per image (matmuls, convolutions and
 * attention products, 2 per multiply-add; DiT-S/2 gives 12.11 GFLOP, twice the DiT paper's 6.06 G multiply-adds) turn
 * the rates into achieved FLOP/s (a training step as three forwards) and, on GPUs whose datasheet peak is known
 * ({@link dev.diffusion4j.engine.cuda.DeviceProperties#peakBf16DenseFlops}), into model FLOPs utilisation against the
 * dense bf16 peak. The same FLOPs per image serve for the PyTorch twins, which run the same architecture.
 *
 * <p>Each warm-up runs at least its count and, when {@code warmupSeconds} is positive, until that much time has passed:
 * on the CPU the JVM compiles the hot loops during a run's first seconds, so a count fit for PyTorch (2-3 steps) times
 * the compiler rather than the step (BENCHMARKS.md, issue 19's CPU rounds).
 */
public final class StepBenchmark {
    private StepBenchmark() {}

    public record Result(String preset, String device, Precision precision, long params, int batch, int warmupSteps, double trainImgPerS,
                         boolean trainGraphed, int sampleBatch, double sampleImgNfePerS, boolean sampleGraphed, double loss, MemoryUsage memory, double forwardFlopsPerImage,
                         double peakFlops) {
        /** Achieved training FLOP/s, a step taken as three forwards' worth (forward, and a backward of twice the products). */
        public double trainFlops() { return 3 * forwardFlopsPerImage * trainImgPerS; }

        public double sampleFlops() { return forwardFlopsPerImage * sampleImgNfePerS; }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cfg", preset);
            m.put("device", device);
            m.put("mode", precision.id());
            m.put("params", params);
            m.put("batch", batch);
            m.put("warmup_steps", warmupSteps);
            m.put("train_img_per_s", Math.round(trainImgPerS * 10) / 10.0);
            m.put("train_cuda_graphs", trainGraphed);
            m.put("sample_batch", sampleBatch);
            m.put("sample_img_nfe_per_s", Math.round(sampleImgNfePerS * 10) / 10.0);
            m.put("sample_cuda_graphs", sampleGraphed);
            m.put("loss", loss);
            m.put("fwd_gflop_per_img", Math.round(forwardFlopsPerImage / 1e6) / 1e3);
            m.put("train_tflops", Math.round(trainFlops() / 1e9) / 1e3);
            m.put("sample_tflops", Math.round(sampleFlops() / 1e9) / 1e3);
            if (peakFlops > 0) {   // model FLOPs utilisation against the device's dense bf16 peak, whatever the precision
                m.put("train_mfu_bf16_peak", Math.round(trainFlops() / peakFlops * 1e4) / 1e4);
                m.put("sample_mfu_bf16_peak", Math.round(sampleFlops() / peakFlops * 1e4) / 1e4);
            }
            if (memory != null) {   // the allocator's view after the timed steps: live tensors at the peak, and live + cache
                m.put("gpu_mem_peak_allocated_mib", memory.peakAllocatedBytes() >> 20);
                m.put("gpu_mem_reserved_mib", memory.reservedBytes() >> 20);
            }
            return m;
        }
    }

    /** Sets the global TF32 switch for {@code precision} (bf16 runs the forwards under autocast). */
    public static Result run(String preset, ModelConfig cfg, Device device, Precision precision, int batch, int warmup,
                             double warmupSeconds, int steps, int sampleBatch, int sampleIters) {
        precision.applyMathMode();
        DenoisingNetwork model = cfg.build(new Generator(0));
        model.to(device);
        AdamW opt = new AdamW(model.parameters(), new AdamConfig(2e-4, 0.9, 0.999, 1e-8, 0));
        GaussianDiffusion diffusion = new GaussianDiffusion(NoiseSchedule.linear(1000), Parameterization.EPS, VarianceType.FIXED_SMALL);
        Generator gen = new Generator(1);
        int[] shape = {batch, cfg.inChannels(), cfg.resolution(), cfg.resolution()};
        Tensor x0 = Tensor.randn(gen, DType.F32, device, shape);
        Tensor labels = randomLabels(cfg, gen, device, batch);
        Tensor last = null;
        int warmed = 0;
        double loss, train;
        boolean trainGraphed;
        try (GraphedFunction graph = GraphedFunction.trainingStep("the training step",
                in -> stepWork(model, opt, diffusion, gen, precision, in), () -> Parameter.dataOf(model.parameters()))) {
            for (long w0 = System.nanoTime(); warming(warmed, warmup, w0, warmupSeconds); warmed++)
                last = step(graph, opt, diffusion, x0, labels, gen);
            if (last != null) last.item();                      // sync before the clock starts
            LaunchProfile.reset();                              // -Ddiffusion4j.cuda.profile: count the timed steps only
            long replays0 = graph.replays();
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) last = step(graph, opt, diffusion, x0, labels, gen);
            loss = last.item();                                 // sync: all queued work is done
            train = (double) batch * steps / ((System.nanoTime() - t0) / 1e9);
            trainGraphed = graph.replays() - replays0 == steps;
            LaunchProfile.report(steps + " training steps");
        }
        MemoryUsage memory = Backends.memoryUsage(device);
        if (Backends.get(device) instanceof CudaBackend cuda) System.err.println("allocator after the training steps: " + cuda.memoryStats() + ", " + cuda.forcedCollections() + " forced collections");
        if (Backends.get(device) instanceof CudaBackend && CudaBackend.gemmAutotuneSummary() != null)
            System.err.println("cuBLASLt: " + CudaBackend.gemmAutotuneSummary());

        model.eval();
        double sample, forwardFlops;
        boolean graphed;
        // the sampling forwards go through the samplers' own path: the network replayed from a CUDA graph where it can be
        try (var g = GradMode.off(); var ac = precision.autocast(); var denoiser = NetworkDenoiser.graphed(model)) {
            Tensor xs = Tensor.randn(gen, DType.F32, device, sampleBatch, cfg.inChannels(), cfg.resolution(), cfg.resolution());
            Tensor ts = Tensor.full(500, DType.I64, device, sampleBatch);
            Tensor ys = randomLabels(cfg, gen, device, sampleBatch);
            Conditioning cond = ys == null ? null : Conditioning.of(NetworkDenoiser.LABEL, ys);
            Tensor y;
            try (FlopCounter count = FlopCounter.start()) {   // the first warm-up forward (eager) also counts the model's FLOPs
                y = denoiser.apply(xs, ts, cond);
                forwardFlops = (double) count.flops() / sampleBatch;
            }
            for (long w0 = System.nanoTime(), i = 1; warming(i, 3, w0, warmupSeconds); i++) y = denoiser.apply(xs, ts, cond);
            y.sum().item();
            LaunchProfile.reset();
            long replays0 = denoiser.replays();
            long s0 = System.nanoTime();
            for (int i = 0; i < sampleIters; i++) y = denoiser.apply(xs, ts, cond);
            y.sum().item();
            sample = (double) sampleBatch * sampleIters / ((System.nanoTime() - s0) / 1e9);
            graphed = denoiser.replays() - replays0 == sampleIters;
            LaunchProfile.report(sampleIters + " sampling forwards");
        }
        double peak = Backends.get(device) instanceof CudaBackend cuda ? cuda.context().properties().peakBf16DenseFlops() : 0;
        return new Result(preset, device.toString(), precision, model.numParameters(), batch, warmed, train, trainGraphed, sampleBatch, sample, graphed,
                loss, memory, forwardFlops, peak);
    }

    /** Whether a warm-up that began at {@code since} (nanoTime) and has run {@code done} goes on: until both minima are met. */
    private static boolean warming(long done, int minCount, long since, double minSeconds) {
        return done < minCount || System.nanoTime() - since < minSeconds * 1e9;
    }

    /** Class-conditional models (the DiT presets: 1000 classes, as dit.py times them) get random labels; others none. */
    private static Tensor randomLabels(ModelConfig cfg, Generator gen, Device device, int n) {
        return cfg.numClasses() > 0 ? Tensor.randint(gen, 0, cfg.numClasses(), device, n) : null;
    }

    /**
     * One training step: the timesteps drawn on the host (as the trainer draws them, so that q_sample's coefficients
     * need no read back), then {@code graph}'s forward, backward and clipping (replayed from a CUDA graph once
     * recorded), then the optimizer.
     */
    private static Tensor step(GraphedFunction graph, AdamW opt, GaussianDiffusion d, Tensor x0, Tensor labels, Generator gen) {
        Tensor t = TimestepSampler.uniform(d.steps()).sample(x0.shape(0), gen).timesteps(x0.device());
        Tensor loss = graph.apply(java.util.Arrays.asList(x0, t, labels));
        opt.step();
        return loss;
    }

    /** A step's work up to the optimizer, in = [x0, t, labels or null]: noise, forward, MSE on eps, backward, clipping. */
    private static Tensor stepWork(DenoisingNetwork model, AdamW opt, GaussianDiffusion d, Generator gen, Precision precision, java.util.List<Tensor> in) {
        Tensor x0 = in.get(0), t = in.get(1);
        Tensor loss;
        opt.zeroGrad();
        try (var ac = precision.autocast()) {
            Autocast.castParameters(Parameter.dataOf(model.parameters()));   // as the trainer does
            Tensor noise = x0.randnLike(gen);
            // a learned-variance model's extra channels are left out, as dit.py's timing loop does
            Tensor out = model.forward(d.qSample(x0, t, noise), t, in.get(2)).slice(1, 0, x0.shape(1));
            loss = F.mseLoss(out.to(DType.F32), noise);
        }
        loss.backward();
        GradClip.clipGradNormOnDevice(model, 1.0);   // as clip_grad_norm_: the norm stays on the device, no wait
        return loss.detach();
    }
}
