package dev.diffusion4j.cli;

import dev.diffusion4j.train.Invocation;

import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.LossConfig;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.ModelPresets;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.train.Defaults;
import dev.diffusion4j.train.DiffusionConfig;
import dev.diffusion4j.train.OptimConfig;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.RunLock;
import dev.diffusion4j.train.SampleConfig;
import dev.diffusion4j.train.TensorBoardLog;
import dev.diffusion4j.train.SuperResolutionTask;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.TrainDefaults;
import dev.diffusion4j.train.TextConditioning;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.train.autoencoder.LatentSpace;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffuse train}: train a diffusion model on images and write checkpoints, sample grids and a report. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a diffusion U-Net or DiT on images. With no options it trains the 'tiny' model class-conditionally on the",
                "built-in shapes data (16x16) on the CPU for 1500 steps (about 8-10 minutes on 2 cores) and writes runs/shapes/;",
                "its sample grid shows one row per shape class."},
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} train",
                "  ${sys:diffuse.command:-diffuse} train --data /usr/share/datasets/fashion-mnist --preset fmnist-small --out runs/fmnist --steps 20000 --device cuda",
                "  ${sys:diffuse.command:-diffuse} train --out runs/shapes --resume",
                "  ${sys:diffuse.command:-diffuse} train --out runs/shapes --resume --steps 4000 --lr-schedule restart"})
public final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin ImageLimitOption imageLimit = new ImageLimitOption();

    @Option(names = "--data", paramLabel = "SPEC", defaultValue = "shapes",
            description = "Training images: 'shapes' (built-in, no download), a folder of PNG/JPEG (sub-folders = classes), "
                    + "a folder of IDX files (e.g. Fashion-MNIST) or CIFAR-10 binaries. Default: ${DEFAULT-VALUE}.")
    String data;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/shapes", description = "Run folder to create (or continue with --resume). Default: ${DEFAULT-VALUE}.")
    Path outDir;

    @Option(names = "--resume", description = "Continue the run in --out from its latest checkpoint with its saved config. Only these may change: "
            + ResumeChanges.CHANGEABLE_NAMES + " (restart); --steps must be above the checkpoint's step. Options of this invocation alone (--eval-*, --tensorboard, --dashboard, "
            + "data parallelism, --max-image-pixels) are taken as given; any other is refused.")
    boolean resume;

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "tiny", description = "Model: tiny, fmnist-small, ddpm-cifar10 (U-Nets), dit-tiny, dit-fmnist, dit-s/2 ... dit-xl/8 (DiTs; see: diffuse inspect presets). Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(names = "--channels", paramLabel = "C", description = "Image channels (1 gray, 3 RGB). Default: the preset's.")
    Integer channels;

    @Option(names = "--image-size", paramLabel = "N", description = "Square image size the data is resized and cropped to. Default: the preset's.")
    Integer imageSize;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "1500",
            description = "Optimizer steps. Default: ${DEFAULT-VALUE} (dit-tiny: " + TrainDefaults.DIT_TINY_STEPS + ").")
    long steps;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = Defaults.BATCH_SIZE, description = "Images per step (per micro-batch with --grad-accum). Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--grad-accum", paramLabel = "K", defaultValue = Defaults.GRAD_ACCUM, description = "Micro-batches accumulated per optimizer step. Default: ${DEFAULT-VALUE}.")
    int gradAccum;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (AdamW). Default: 1e-3 (dit-tiny: 4e-3; other DiT presets: 1e-4).")
    Double lr;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = Defaults.WARMUP, description = "Linear warmup steps. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--lr-schedule", paramLabel = "KIND", defaultValue = Defaults.LR_SCHEDULE, description = "cosine (to 0 at the last step) or constant. When --resume --steps N changes the budget, a cosine decays on from "
                    + "the rate it reached to 0 at step N (no jump); 'restart' starts a new cosine cycle from --lr instead. Default: ${DEFAULT-VALUE}.")
    String lrSchedule;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = Defaults.WEIGHT_DECAY, description = "AdamW decoupled weight decay. Default: ${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(names = "--grad-clip", paramLabel = "NORM", defaultValue = Defaults.GRAD_CLIP, description = "Clip the global gradient norm (0 = off). Default: ${DEFAULT-VALUE}.")
    double gradClip;

    @Option(names = "--ema-decay", paramLabel = "D", defaultValue = Defaults.EMA_DECAY, description = "EMA decay of the weights used for sampling (with warmup). Default: ${DEFAULT-VALUE}.")
    double emaDecay;

    @Option(names = "--dropout", paramLabel = "P", description = "Dropout in the U-Net's ResNet blocks (DiT has none). Default: the preset's.")
    Double dropout;

    @Option(names = "--schedule", paramLabel = "KIND", defaultValue = Defaults.SCHEDULE, description = "Noise schedule: linear, cosine, sigmoid, scaled-linear. Default: ${DEFAULT-VALUE}.")
    String schedule;

    @Option(names = "--timesteps", paramLabel = "T", defaultValue = Defaults.TIMESTEPS, description = "Diffusion steps T. Default: ${DEFAULT-VALUE}.")
    int timesteps;

    @Option(names = "--zero-terminal-snr", description = "Rescale the schedule to zero terminal SNR (use with --parameterization v).")
    boolean zeroTerminalSnr;

    @Option(names = "--parameterization", paramLabel = "P", description = "What the model predicts: eps, x0 or v. Default: eps (dit-tiny: v).")
    String parameterization;

    @Option(names = "--variance", paramLabel = "V",
            description = "Reverse-process variance: fixed-small, fixed-large or learned-range (doubles the model's output; use --loss hybrid). "
                    + "Default: fixed-small (DiT presets but dit-tiny: learned-range).")
    String variance;

    @Option(names = "--loss", paramLabel = "L", description = "simple, hybrid (L_simple + 0.001 L_vlb) or vlb. Default: simple (DiT presets but dit-tiny: hybrid).")
    String loss;

    @Option(names = "--distance", paramLabel = "D", defaultValue = Defaults.DISTANCE, description = "Distance of the simple loss: l2, l1 or huber. Default: ${DEFAULT-VALUE}.")
    String distance;

    @Option(names = "--weighting", paramLabel = "W",
            description = "Loss weighting over t: none, min-snr (Hang et al. 2023: weight min(SNR, gamma) / SNR for eps; learns the coarse structure "
                    + "sooner) or p2. Default: min-snr (DiT presets but dit-tiny: none).")
    String weighting;

    @Option(names = "--snr-gamma", paramLabel = "G",
            description = "Gamma of min-snr / p2 weighting. Default: 5 for min-snr (Hang et al.), 1 for p2 (Choi et al., with k = 1).")
    Double gamma;

    /** Each weighting's paper default: P2's exponent is not min-SNR's clamp. */
    static double defaultGamma(String weighting) { return TrainDefaults.gamma(weighting); }

    @Option(names = "--timestep-sampler", paramLabel = "S", defaultValue = Defaults.TIMESTEP_SAMPLER, description = "uniform or loss-second-moment (importance sampling). Default: ${DEFAULT-VALUE}.")
    String timestepSampler;

    @Option(names = "--offset-noise", paramLabel = "S", defaultValue = Defaults.OFFSET_NOISE, description = "Offset-noise strength. Default: ${DEFAULT-VALUE}.")
    double offsetNoise;

    @Option(names = "--class-conditional", negatable = true,
            description = "Train with the data's class labels, with label dropout for classifier-free guidance; sample grids then show one row "
                    + "per class. --no-class-conditional trains unconditionally. Default: on when the data has 2 or more classes (the built-in "
                    + "shapes, Fashion-MNIST, CIFAR-10, class sub-folders).")
    Boolean classConditional;

    @Option(names = "--label-dropout", paramLabel = "P", defaultValue = Defaults.LABEL_DROPOUT, description = "With --class-conditional: probability of training on 'no class' (refused on an unconditional run). Default: ${DEFAULT-VALUE}.")
    double labelDropout;

    @Option(names = "--no-flip", description = "Turn off random horizontal flips.")
    boolean noFlip;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto (CUDA when available). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--no-cuda-graphs", description = "On CUDA, run the training steps (forward, backward, clipping) and the sample grids' "
            + "network calls eagerly instead of replaying them from CUDA graphs.")
    void noCudaGraphs(boolean off) { dev.diffusion4j.engine.GraphedFunction.setEnabled(!off); }

    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32",
            description = "GPU math: fp32, tf32 (TF32 tensor cores for f32 products and convolutions) or bf16 (bf16 autocast with f32 weights). "
                    + "The CPU computes in f32. Default: ${DEFAULT-VALUE}.")
    String precision;

    @Option(names = "--seed", paramLabel = "N", defaultValue = Defaults.SEED, description = "Seed of every random draw (weights, data order, noise). Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--log-every", paramLabel = "N", defaultValue = Defaults.LOG_EVERY, description = "Steps between metrics lines. Default: ${DEFAULT-VALUE}.")
    int logEvery;

    @Option(names = "--sample-every", paramLabel = "N", defaultValue = Defaults.SAMPLE_EVERY, description = "Steps between EMA sample grids. Default: ${DEFAULT-VALUE}.")
    int sampleEvery;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = Defaults.CHECKPOINT_EVERY, description = "Steps between checkpoints (one is always written at the end). Default: ${DEFAULT-VALUE}.")
    int checkpointEvery;

    @Option(names = "--keep-checkpoints", paramLabel = "N", defaultValue = Defaults.KEEP_CHECKPOINTS, description = "Checkpoints kept on disk. Default: ${DEFAULT-VALUE}.")
    int keepCheckpoints;

    @Option(names = "--sampler", paramLabel = "S", defaultValue = Defaults.SAMPLER, description = "Sampler for the grids: " + SampleConfig.NAMES + ". Default: ${DEFAULT-VALUE}.")
    String sampler;

    @Option(names = "--sample-steps", paramLabel = "N", defaultValue = Defaults.SAMPLE_STEPS, description = "Sampler steps for the grids. Default: ${DEFAULT-VALUE}.")
    int sampleSteps;

    @Option(names = "--grid-size", paramLabel = "N", defaultValue = Defaults.GRID_SIZE,
            description = "Images per grid (class-conditional: N / classes per class row, at least one). Default: ${DEFAULT-VALUE}.")
    int gridSize;

    @Option(names = "--guidance", paramLabel = "W", defaultValue = "" + SampleConfig.DEFAULT_GUIDANCE,
            description = "Classifier-free guidance scale of class-conditional grids (1 = none). Default: ${DEFAULT-VALUE} (dit-tiny: " + TrainDefaults.DIT_TINY_GUIDANCE + ").")
    double guidance;

    @Option(names = "--grid-scale", paramLabel = "N", defaultValue = "0",
            description = "Enlarge grid images N times, nearest neighbour (0 = auto: cells of at least 64 pixels; 1 = off). Default: auto.")
    int gridScale;

    @Option(names = "--autoencoder", paramLabel = "DIR",
            description = "Latent diffusion: a diffuse train-autoencoder run folder, or a diffusers autoencoder folder (config.json naming AutoencoderKL or VQModel + diffusion_pytorch_model.safetensors, e.g. Stable Diffusion's VAE). The data is encoded once into cached latents (reused while the "
                    + "autoencoder's weights stay the same), scaled by its scaling factor or 1/std, and the model trains on them; grids are decoded "
                    + "to pixels. --image-size is then the pixel size (default: the autoencoder run's). See docs/latent-diffusion.md.")
    Path autoencoder;

    @Option(names = "--latent-scale", paramLabel = "S", defaultValue = "std",
            description = "With --autoencoder: the factor latents are multiplied by: std (1 / std of the encoded latents, LDM's scale_by_std), "
                    + "config (the autoencoder's scaling_factor, e.g. 0.18215 for Stable Diffusion's VAE) or a number. Default: ${DEFAULT-VALUE}.")
    String latentScale;

    @Option(names = "--background", paramLabel = "COLOR", defaultValue = "white",
            description = "Colour transparent pixels (RGBA, gray + alpha) are composited on: white, black or #rrggbb. Default: ${DEFAULT-VALUE}.")
    String background;

    @picocli.CommandLine.Mixin TrainEvalOptions evalOptions = new TrainEvalOptions();
    @picocli.CommandLine.Mixin DashboardOptions dashboard = new DashboardOptions();

    @Option(names = "--tensorboard", description = "Also write TensorBoard event files into RUN/tensorboard/ (scalars and sample grids; "
            + "view with: tensorboard --logdir RUN/tensorboard). A resumed run goes on writing them once the folder exists.")
    boolean tensorboard;
    @picocli.CommandLine.Mixin SuperResolutionOptions superRes = new SuperResolutionOptions();
    @picocli.CommandLine.Mixin TextOptions text = new TextOptions();
    @picocli.CommandLine.Mixin DataParallelOptions parallel = new DataParallelOptions();

    static final int MAX_IMAGE_SIZE = 1024, MAX_BATCH = 65536, MAX_TIMESTEPS = 100_000, MAX_SAMPLE_STEPS = 10_000, MAX_GRID = 1024;
    static final List<String> LR_SCHEDULES = List.of("cosine", "constant", "restart");
    static final List<String> LOSSES = List.of("simple", "hybrid", "vlb");
    static final List<String> WEIGHTINGS = List.of("none", "min-snr", "p2");
    static final List<String> TIMESTEP_SAMPLERS = List.of("uniform", "loss-second-moment");
    static final List<String> SAMPLERS = List.of(SampleConfig.NAMES.split(", "));

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        checkOptions();
        try {
            return resume ? resumeRun(out) : newRun(out);
        } finally {
            dashboard.end(out);      // after the lock is released, so an open page can show how the run ended
        }
    }

    /** Every option against its allowed range, and the combinations that cannot work, before anything is read or written. */
    private void checkOptions() {
        OptionChecks c = new OptionChecks(spec);
        evalOptions.validate();
        dashboard.validate();
        imageLimit.apply(spec);
        if (!resume) c.outputFolder("--out", outDir);
        ModelConfig base = c.parse("--preset", preset, ModelPresets::get);
        if (channels != null) c.require(channels == 1 || channels == 3, "--channels must be 1 (gray) or 3 (RGB), got " + channels);
        c.parse("--background", background, dev.diffusion4j.data.Background::parse);
        c.parse("--latent-scale", latentScale, dev.diffusion4j.train.autoencoder.LatentSource::parseScale);
        c.require(autoencoder == null || channels == null, "--channels does not apply with --autoencoder: the images get the autoencoder's channels");
        c.require(autoencoder == null || evalOptions.every == 0, "--eval-every is not available with --autoencoder yet; score decoded samples "
                + "with diffuse sample --images DIR and diffuse fid");
        if (autoencoder == null) c.absent("--latent-scale", "--latent-scale needs --autoencoder");
        if (evalOptions.every == 0) for (String o : List.of("--eval-count", "--eval-features", "--eval-metrics")) c.absent(o, o + " needs --eval-every N");
        if (dashboard.port == null) c.absent("--dashboard-host", "--dashboard-host needs --dashboard");
        if (imageSize != null && autoencoder == null) {     // a latent run's --image-size is in pixels; its latent side is checked once encoded
            int multiple;
            String why;
            if (base instanceof UNetConfig u) {
                int halvings = u.channelMult().length - 1;
                multiple = 1 << halvings;
                why = "its U-Net halves the image " + halvings + " times";
            } else {
                multiple = ((DiTConfig) base).patchSize();
                why = "its DiT cuts the image into " + multiple + "x" + multiple + " patches";
            }
            c.between("--image-size", imageSize, multiple, MAX_IMAGE_SIZE)
             .require(imageSize % multiple == 0, "--image-size must be a multiple of " + multiple + " for --preset " + preset + " (" + why + "), got " + imageSize);
        }
        if (!resume) superRes.validate(c, base, imageSize != null ? imageSize : base.resolution(), classConditional, evalOptions);
        if (!resume) text.validate(c, base, classConditional, evalOptions);
        if (!resume) LabelDropoutCheck.options(c, classConditional, superRes.superResolution(), text.enabled());
        c.require(dropout == null || base instanceof UNetConfig, "--dropout applies to U-Net presets; the DiT '" + preset + "' has no dropout");
        TrainDefaults def = TrainDefaults.of(preset, base);
        String variance = this.variance != null ? this.variance : def.variance(), loss = this.loss != null ? this.loss : def.loss();
        String weighting = this.weighting != null ? this.weighting : def.weighting();
        double lr = this.lr != null ? this.lr : def.lr();
        c.atLeast("--steps", steps, 1).between("--batch-size", batchSize, 1, MAX_BATCH).between("--grad-accum", gradAccum, 1, MAX_BATCH)
         .positive("--lr", lr).atLeast("--warmup", warmup, 0).oneOf("--lr-schedule", lrSchedule, LR_SCHEDULES)
         .nonNegative("--weight-decay", weightDecay).nonNegative("--grad-clip", gradClip).fraction("--ema-decay", emaDecay);
        if (dropout != null) c.fraction("--dropout", dropout);
        c.parse("--schedule", schedule, NoiseSchedule.Kind::parse);
        c.between("--timesteps", timesteps, 1, MAX_TIMESTEPS).require(!zeroTerminalSnr || timesteps >= 2, "--zero-terminal-snr needs --timesteps 2 or more");
        Parameterization p = c.parse("--parameterization", parameterization != null ? parameterization : def.parameterization(), Parameterization::parse);
        VarianceType v = c.parse("--variance", variance, VarianceType::parse);
        c.oneOf("--loss", loss, LOSSES).parse("--distance", distance, LossConfig.Distance::parse);
        if (gamma != null) c.positive("--snr-gamma", gamma);
        c.oneOf("--weighting", weighting, WEIGHTINGS).oneOf("--timestep-sampler", timestepSampler, TIMESTEP_SAMPLERS)
         .nonNegative("--offset-noise", offsetNoise).fraction("--label-dropout", labelDropout);
        c.device("--device", device);
        parallel.validate(c, batchSize, device, spec.commandLine().getParseResult().hasMatchedOption("--device"), resume ? null : base, dropout);
        if (!resume) parallel.refuseOneDeviceFeatures(c, text.enabled(), SuperResolutionOptions.SUPER_RESOLUTION.equals(superRes.task), timestepSampler);
        c.parse("--precision", precision, Precision::parse);
        c.atLeast("--log-every", logEvery, 1).atLeast("--sample-every", sampleEvery, 1).atLeast("--checkpoint-every", checkpointEvery, 1)
         .atLeast("--keep-checkpoints", keepCheckpoints, 1).oneOf("--sampler", sampler, SAMPLERS)
         .between("--sample-steps", sampleSteps, 1, MAX_SAMPLE_STEPS).between("--grid-size", gridSize, 1, MAX_GRID)
         .nonNegative("--guidance", guidance).between("--grid-scale", gridScale, 0, 32);
        c.require(!v.learned() || !loss.equalsIgnoreCase("simple"),
                  "--variance " + variance + " learns the variance, which needs --loss hybrid or --loss vlb (--loss simple does not train it)")
         .require(!zeroTerminalSnr || !p.id().equals("eps"), "--zero-terminal-snr needs --parameterization v or x0: an eps prediction "
                  + "cannot recover the image at the last step, where no signal is left")
         .require(resume || !lrSchedule.equalsIgnoreCase("restart"), "--lr-schedule restart only applies to the steps that --resume --steps N adds");
    }

    private int newRun(PrintWriter out) {
        TrainConfig cfg = buildConfig(out);      // opens the data: a missing or unfit --data is refused before the folder exists
        try (RunLock lock = RunLock.acquire(outDir)) {
            noteStaleLock(lock, out);
            RunDir run = RunDir.create(outDir, cfg, note -> out.println("note: " + note));
            if (TrainDefaults.DIT_TINY.equals(preset) && cfg.steps() < TrainDefaults.DIT_TINY_STEPS)
                out.println("note: dit-tiny draws the shapes recognisably only after about " + TrainDefaults.DIT_TINY_STEPS
                        + " steps, its default (docs/dit.md)");
            SuperResolutionTask.record(run, superRes.taskConfig(), opened);
            text.record(run, opened);
            return train(run, new Trainer(run, cfg, opened), Trainer.Position.START, out);
        }
    }

    private int resumeRun(PrintWriter out) {
        RunDir run = RunDir.open(outDir);
        resumeChanges(run);                          // refusals before the lock, so a refused resume writes nothing at all
        try (RunLock lock = run.lock()) {
            noteStaleLock(lock, out);
            ResumeChanges changes = resumeChanges(run);   // again, now that no other writer can change the folder
            TrainConfig cfg = changes.config();
            ModelConfig m = cfg.model();
            dev.diffusion4j.data.Background.set(cfg.background());
            ImageDataset ds = cfg.latent().isLatent() ? LatentRunSetup.resume(cfg.latent(), cfg.data(), cfg.device(), out)
                    : Datasets.open(cfg.data(), m.inChannels(), m.resolution(), "train", w -> out.println("warning: " + w));
            if (cfg.classConditional() && ds.numClasses() < 1)
                throw new IllegalArgumentException("the run is class-conditional but its data " + ds.describe() + " has no classes now");
            Trainer trainer = new Trainer(run, cfg, ds);
            Trainer.Position from = trainer.restoreLatest();      // a checkpoint that cannot be read is refused before any write
            changes.commit(run, out);
            out.println("resuming " + outDir + " from step " + from.step() + " (saved config; training to step " + cfg.steps() + ")");
            return train(run, trainer, from, out);
        }
    }

    private ResumeChanges resumeChanges(RunDir run) {
        TrainConfig saved = run.config();
        long at = run.checkpoints().latest().orElseThrow(() -> new IllegalArgumentException("nothing to resume: " + outDir
                + " has no checkpoint yet; start it afresh with the same command without --resume")).step();
        return ResumeChanges.of(this, spec.commandLine().getParseResult(), saved, at, run.history().budgetChanges());
    }

    private static void noteStaleLock(RunLock lock, PrintWriter out) {
        if (lock.staleOwner() != null) out.println("note: took over a stale lock of a process that is gone (" + lock.staleOwner() + ")");
    }

    private int train(RunDir run, Trainer trainer, Trainer.Position from, PrintWriter out) {
        TrainConfig cfg = trainer.config();
        if (cfg.latent().isLatent() && evalOptions.every > 0)
            throw new IllegalArgumentException("--eval-every is not available for latent-diffusion runs yet; score decoded samples with "
                    + "diffuse sample --images DIR and diffuse fid");
        evalOptions.attach(trainer, cfg, out);
        LatentRunSetup.decodeGrids(trainer, cfg.latent(), cfg.device());
        out.println("data: " + trainer.data().describe() + (cfg.classConditional() ? "; class-conditional" : ""));
        out.printf(Locale.ROOT, "model: %s, %,d parameters, device %s%s%n", resume ? "saved" : preset, trainer.model().numParameters(),
                cfg.device(), cfg.precision() == Precision.FP32 ? "" : ", precision " + cfg.precision().id());
        if (cfg.precision() != Precision.FP32 && !Device.parse(cfg.device()).isCuda())
            out.println("note: --precision " + cfg.precision().id() + " applies on CUDA; the CPU computes in f32");
        if (parallel.active()) out.println(parallel.describe(cfg.optim().batchSize()));
        dashboard.begin(run, trainer.data(), cfg.device(), out);
        out.flush();
        Trainer.Result result;
        boolean toTensorBoard = tensorboard || TensorBoardLog.enabled(run);
        if (toTensorBoard) out.println("tensorboard: " + TensorBoardLog.dir(run) + " (view with: tensorboard --logdir " + Invocation.quote(TensorBoardLog.dir(run)) + ")");
        try (ProgressBar bar = new ProgressBar(System.out, "train", cfg.steps(), "step");
             TensorBoardLog board = toTensorBoard ? TensorBoardLog.forTraining(run, from.step()) : null) {
            Trainer.Listener progress = new Trainer.Listener() {
                @Override public void onStart(long start, long total) { bar.step(start, null); }
                @Override public void onStep(long step, double loss) { bar.step(1, String.format(Locale.ROOT, "loss %.4f", loss)); }
                @Override public void onNote(String message) { out.println("note: " + message); out.flush(); }
            };
            Trainer.Listener listener = board == null ? progress : board.after(progress);
            result = parallel.active() ? parallel.train(trainer, d -> new Trainer(run, cfg.withDevice(d.toString()), trainer.data()), from, listener)
                    : trainer.train(from, listener);
        }
        out.printf(Locale.ROOT, "done: %d steps, last loss %.4f%n", result.steps(), result.lastLoss());
        if (result.lastGrid() != null) out.println("samples: " + result.lastGrid().toAbsolutePath()
                + (cfg.classConditional() ? " (one row per class, in label order; guidance " + cfg.sample().guidance() + ")" : ""));
        out.println("report:  " + run.reportFile().toAbsolutePath());
        if (result.lastCheckpoint() != null) out.println("checkpoint: " + result.lastCheckpoint().toAbsolutePath());
        String prompt = TextConditioning.examplePrompt(run, result.lastGrid());
        if (SuperResolutionTask.of(run) != null) out.println("next: " + SuperResolutionOptions.nextHint(outDir));
        else if (prompt != null) out.println("next: " + Invocation.command() + " sample --run " + Invocation.quote(outDir) + " --prompt " + Invocation.quote(prompt));
        else out.println("next: " + Invocation.command() + " sample --run " + Invocation.quote(outDir) + "   |   " + Invocation.command() + " eval --run " + Invocation.quote(outDir));
        out.flush();
        return 0;
    }

    /** --steps as given, else the preset's own step count. */
    private long steps() { return given("--steps") ? steps : TrainDefaults.steps(preset, steps); }

    /** --guidance as given, else the preset's own grid guidance. */
    private double guidance() { return given("--guidance") ? guidance : TrainDefaults.guidance(preset, guidance); }

    private boolean given(String option) {
        var parsed = spec.commandLine().getParseResult();
        return parsed != null && parsed.hasMatchedOption(option);
    }

    /** The dataset opened while building a new run's config, reused for training. */
    private ImageDataset opened;

    TrainConfig buildConfig(PrintWriter out) {   // package-private: LibraryDefaultsTest builds a flagless config
        ModelConfig m = ModelPresets.get(preset);
        if ((channels != null || imageSize != null) && autoencoder == null)     // a latent run's model input follows the latents
            m = m.withInput(channels != null ? channels : m.inChannels(), imageSize != null ? imageSize : m.resolution());
        if (dropout != null) {
            if (!(m instanceof UNetConfig u)) throw new IllegalArgumentException("--dropout applies to U-Net presets; the DiT '" + preset + "' has no dropout");
            m = u.withDropout(dropout);
        }
        TrainDefaults def = TrainDefaults.of(preset, m);
        String lw = weighting != null ? weighting : def.weighting();
        DiffusionConfig d = new DiffusionConfig(schedule, timesteps, zeroTerminalSnr, parameterization != null ? parameterization : def.parameterization(),
                variance != null ? variance : def.variance(),
                loss != null ? loss : def.loss(), distance, lw, gamma != null ? gamma : defaultGamma(lw), timestepSampler, offsetNoise);
        m = m.withLearnSigma(d.learnedVariance());
        LatentSpace latent = LatentSpace.PIXELS;
        dev.diffusion4j.data.Background.set(background);
        if (autoencoder != null) {
            var prepared = LatentRunSetup.prepare(autoencoder, data, imageSize != null ? imageSize : 0, device, m, latentScale, pixels -> {
                text.checkCaptions(pixels);
                LabelDropoutCheck.data(new OptionChecks(spec), classConditional, pixels);
            }, out);
            opened = prepared.data();
            latent = prepared.space();
            m = m.withInput(opened.channels(), opened.height());
        } else {
            opened = Datasets.open(data, m.inChannels(), m.resolution(), "train", w -> out.println("warning: " + w));
            LabelDropoutCheck.data(new OptionChecks(spec), classConditional, opened);
        }
        new OptionChecks(spec).require(opened.size() >= batchSize, "--batch-size " + batchSize + " is larger than the data (" + opened.size()
                + " images in " + data + "), so no full batch can be formed; use at most " + opened.size() + ", or more data");
        m = text.model(superRes.model(m), opened);
        boolean conditional = classConditional != null ? classConditional : opened.numClasses() >= 2 && !superRes.superResolution() && !text.enabled();
        if (conditional && opened.numClasses() < 1)
            throw new IllegalArgumentException("--class-conditional needs labelled data; " + opened.describe() + " has no classes");
        m = m.withClasses(conditional ? opened.numClasses() : 0);   // DiT presets come with 1000 classes
        OptimConfig o = new OptimConfig(batchSize, gradAccum, lr != null ? lr : def.lr(), warmup, lrSchedule, weightDecay, 0.9, 0.999, gradClip, emaDecay, true);
        String deviceName = Device.parse(parallel.leadDevice(device)).toString();
        // latents are not clipped to [-1, 1] and not flipped (a flipped latent is not the latent of the flipped image)
        return new TrainConfig(data, !noFlip && !latent.isLatent(), conditional, labelDropout, m, d, o, steps(), seed, deviceName, Precision.parse(precision),
                logEvery, sampleEvery, checkpointEvery, keepCheckpoints,
                new SampleConfig(sampler, sampleSteps, 0.0, gridSize, 1234, !latent.isLatent(), guidance(), gridScale), latent, background);
    }
}
