package dev.diffusion4j.cli;

import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.train.Invocation;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.RunLock;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.train.autoencoder.AutoencoderData;
import dev.diffusion4j.train.autoencoder.AutoencoderFactory;
import dev.diffusion4j.train.autoencoder.AutoencoderLossConfig;
import dev.diffusion4j.train.autoencoder.AutoencoderRunConfig;
import dev.diffusion4j.train.autoencoder.AutoencoderTrainer;
import dev.diffusion4j.train.autoencoder.PerceptualLossConfig;
import dev.diffusion4j.models.lpips.Lpips;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffuse train-autoencoder}: train a KL or VQ autoencoder for latent diffusion; resumable, with a report. */
@Command(name = "train-autoencoder", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train an image autoencoder (the first stage of latent diffusion): a pixel reconstruction loss (L1 or L2) with LDM's",
                "learned log-variance, the KL weight (KL models) or the codebook loss (VQ models), and an optional PatchGAN discriminator",
                "(hinge loss, adaptive weight) from --disc-start on, and an optional perceptual (LPIPS, VGG16) loss: off by default, since no",
                "VGG/LPIPS weights ship with diffusion4j; give --perceptual-weight 1.0 --vgg-weights FILE --lpips-weights FILE to turn it on.",
                "Writes checkpoints, grids of input/reconstruction pairs with PSNR/SSIM, metrics.jsonl and report.html to --out."},
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} train-autoencoder --preset NAME --data /usr/share/datasets/cifar10 --out runs/ae --device cuda",
                "  ${sys:diffuse.command:-diffuse} train-autoencoder --out runs/ae --resume --steps 20000",
                "  ${sys:diffuse.command:-diffuse} reconstruct --run runs/ae --data /usr/share/datasets/cifar10 --count 256"})
public final class TrainAutoencoderCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin ImageLimitOption imageLimit = new ImageLimitOption();

    @Option(names = "--preset", paramLabel = "NAME", description = "The autoencoder to train (required for a new run); the names are listed when an unknown one is given.")
    String preset;

    @Option(names = "--data", paramLabel = "SPEC", defaultValue = "shapes",
            description = "Training images: 'shapes', a folder of PNG/JPEG, IDX files or CIFAR-10 binaries; read with the autoencoder's channels. Default: ${DEFAULT-VALUE}.")
    String data;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/autoencoder", description = "Run folder to create (or continue with --resume). Default: ${DEFAULT-VALUE}.")
    Path outDir;

    @Option(names = "--resume", description = "Continue the run in --out from its latest checkpoint with its saved config; only --steps (above the checkpoint's step) and --device may change.")
    boolean resume;

    @Option(names = "--image-size", paramLabel = "N", defaultValue = "0",
            description = "Square image size (0 = the data's own; image folders need one); a multiple of the autoencoder's downsampling factor. Default: ${DEFAULT-VALUE}.")
    int imageSize;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "2000", description = "Optimizer steps. Default: ${DEFAULT-VALUE}.")
    long steps;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "16", description = "Images per step. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "1e-4", description = "Learning rate of the autoencoder and the discriminator (Adam, betas 0.5/0.9 as LDM, constant). Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--distance", paramLabel = "D", defaultValue = "l1", description = "Reconstruction distance: l1 or l2. Default: ${DEFAULT-VALUE}.")
    String distance;

    @Option(names = "--kl-weight", paramLabel = "W", defaultValue = "1e-6", description = "Weight of the KL term (KL models; LDM: 1e-6). Default: ${DEFAULT-VALUE}.")
    double klWeight;

    @Option(names = "--codebook-weight", paramLabel = "W", defaultValue = "1.0", description = "Weight of the codebook + commitment loss (VQ models). Default: ${DEFAULT-VALUE}.")
    double codebookWeight;

    @Option(names = "--codebook-ema", paramLabel = "D", defaultValue = "0",
            description = "VQ models: update the codebook by exponential moving averages with this decay (e.g. 0.99) instead of by the "
                    + "codebook loss term (0 = off). Default: ${DEFAULT-VALUE}.")
    double codebookEma;

    @Option(names = "--dead-code-restart", paramLabel = "N", defaultValue = "0",
            description = "VQ models: re-initialise a code unused for N steps from a random latent of the batch (0 = off). The unused "
                    + "counts start again from 0 on --resume. Default: ${DEFAULT-VALUE}.")
    int deadCodeRestart;

    @Option(names = "--logvar-init", paramLabel = "V", defaultValue = "0.0", description = "Initial learned log-variance of the reconstruction nll (KL models). Default: ${DEFAULT-VALUE}.")
    double logvarInit;

    @Option(names = "--disc-start", paramLabel = "STEP", defaultValue = "-1",
            description = "Step from which the PatchGAN discriminator trains and its generator loss counts (-1 = no discriminator). Default: ${DEFAULT-VALUE}.")
    long discStart;

    @Option(names = "--disc-weight", paramLabel = "W", defaultValue = "0.5",
            description = "Scale of the adaptive generator weight (gradient-norm ratio of nll and generator loss at the decoder's last layer, clamped to [0, 1e4]). Default: ${DEFAULT-VALUE}.")
    double discWeight;

    @Option(names = "--disc-layers", paramLabel = "N", defaultValue = "3", description = "Stride-2 layers of the discriminator (fewer for small images). Default: ${DEFAULT-VALUE}.")
    int discLayers;

    @Option(names = "--disc-width", paramLabel = "C", defaultValue = "64", description = "Channels of the discriminator's first layer. Default: ${DEFAULT-VALUE}.")
    int discWidth;

    @Option(names = "--perceptual-weight", paramLabel = "W", defaultValue = "0",
            description = "Weight of the perceptual (LPIPS, VGG16) loss added to each pixel's distance, as LDM and taming do (they use 1.0). "
                    + "0 = off, the default: no VGG/LPIPS weights ship with diffusion4j; above 0 needs --vgg-weights and --lpips-weights. Default: ${DEFAULT-VALUE}.")
    double perceptualWeight;

    @Option(names = "--vgg-weights", paramLabel = "FILE",
            description = "torchvision's VGG16 state dict (vgg16-397923af.pth; .pth/.pt/.ckpt or .safetensors; only its features.* are used) for the perceptual loss.")
    Path vggWeights;

    @Option(names = "--lpips-weights", paramLabel = "FILE",
            description = "lpips' v0.1 VGG channel weights (weights/v0.1/vgg.pth of richzhang/PerceptualSimilarity; lin0..lin4) for the perceptual loss.")
    Path lpipsWeights;

    @Option(names = "--ema-decay", paramLabel = "D", defaultValue = "0.999", description = "EMA decay of the weights used for grids and reconstruction (with warmup). Default: ${DEFAULT-VALUE}.")
    double emaDecay;

    @Option(names = "--grad-clip", paramLabel = "NORM", defaultValue = "0", description = "Clip the autoencoder's gradient norm (0 = off). Default: ${DEFAULT-VALUE}.")
    double gradClip;

    @Option(names = "--no-flip", description = "Turn off random horizontal flips.")
    boolean noFlip;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto (CUDA when available). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32", description = "GPU math: fp32, tf32 or bf16 (autocast with f32 weights). Default: ${DEFAULT-VALUE}.")
    String precision;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of every random draw. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--log-every", paramLabel = "N", defaultValue = "10", description = "Steps between metrics lines. Default: ${DEFAULT-VALUE}.")
    int logEvery;

    @Option(names = "--sample-every", paramLabel = "N", defaultValue = "500", description = "Steps between reconstruction grids (with PSNR/SSIM). Default: ${DEFAULT-VALUE}.")
    int sampleEvery;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "500", description = "Steps between checkpoints (one is always written at the end). Default: ${DEFAULT-VALUE}.")
    int checkpointEvery;

    @Option(names = "--keep-checkpoints", paramLabel = "N", defaultValue = "2", description = "Checkpoints kept on disk. Default: ${DEFAULT-VALUE}.")
    int keepCheckpoints;

    @Option(names = "--grid-count", paramLabel = "N", defaultValue = "8", description = "Images whose reconstructions the grids show. Default: ${DEFAULT-VALUE}.")
    int gridCount;

    @Option(names = "--background", paramLabel = "COLOR", defaultValue = "white",
            description = "Colour transparent pixels (RGBA, gray + alpha) are composited on: white, black or #rrggbb. Default: ${DEFAULT-VALUE}.")
    String background;

    /** Options a resume may still give. */
    private static final Set<String> RESUMABLE = Set.of("--out", "--resume", "--steps", "--device", "--max-image-pixels");

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        imageLimit.apply(spec);
        OptionChecks c = new OptionChecks(spec);
        c.atLeast("--steps", steps, 1).between("--batch-size", batchSize, 1, 65536).positive("--lr", lr).oneOf("--distance", distance, List.of("l1", "l2"))
         .nonNegative("--kl-weight", klWeight).require(codebookEma >= 0 && codebookEma < 1, "--codebook-ema must be in [0, 1), got " + codebookEma)
         .atLeast("--dead-code-restart", deadCodeRestart, 0).nonNegative("--codebook-weight", codebookWeight).atLeast("--disc-start", discStart, -1)
         .nonNegative("--disc-weight", discWeight).between("--disc-layers", discLayers, 1, 8).between("--disc-width", discWidth, 1, 1024)
         .nonNegative("--perceptual-weight", perceptualWeight).fraction("--ema-decay", emaDecay).nonNegative("--grad-clip", gradClip).between("--image-size", imageSize, 0, 4096)
         .atLeast("--log-every", logEvery, 1).atLeast("--sample-every", sampleEvery, 1).atLeast("--checkpoint-every", checkpointEvery, 1)
         .atLeast("--keep-checkpoints", keepCheckpoints, 1).between("--grid-count", gridCount, 1, 64);
        c.device("--device", device);
        c.parse("--precision", precision, Precision::parse);
        c.parse("--background", background, dev.diffusion4j.data.Background::parse);
        return resume ? resumeRun(out, c) : newRun(out, c);
    }

    private int newRun(PrintWriter out, OptionChecks c) {
        c.require(preset != null, "--preset is required for a new run; known autoencoders: "
                + (AutoencoderFactory.names().isEmpty() ? "(none registered)" : String.join(", ", AutoencoderFactory.names())));
        c.outputFolder("--out", outDir);
        AutoencoderFactory.Entry entry = c.parse("--preset", preset, AutoencoderFactory::get);
        Autoencoder probe = entry.builder().apply(new Generator(seed));
        c.require(entry.regularizer() == AutoencoderFactory.Regularizer.CODEBOOK || codebookEma == 0 && deadCodeRestart == 0,
                "--codebook-ema and --dead-code-restart apply to VQ autoencoders; " + preset + " is a KL autoencoder");
        String sizeless = FolderImageSize.missing(data, imageSize, "train-autoencoder");
        c.require(sizeless == null, sizeless);
        dev.diffusion4j.data.Background.set(background);
        ImageDataset ds = Datasets.open(data, probe.imageChannels(), imageSize, "train", w -> out.println("warning: " + w));
        c.require(ds.height() == ds.width(), ds.describe() + " has " + ds.height() + "x" + ds.width() + " images; give --image-size for square ones");
        c.require(ds.size() >= batchSize, "--batch-size " + batchSize + " is larger than the data (" + ds.size() + " images); use at most " + ds.size());
        PerceptualLossConfig perceptual = perceptualOption(c, ds);
        var loss = new AutoencoderLossConfig(distance, klWeight, codebookWeight, logvarInit, discStart, discWeight, discLayers, discWidth,
                codebookEma, deadCodeRestart, perceptual);
        var cfg = new AutoencoderRunConfig(data, preset, ds.height(), !noFlip, steps, batchSize, lr, emaDecay, gradClip, seed,
                Device.parse(device).toString(), Precision.parse(precision), logEvery, sampleEvery, checkpointEvery, keepCheckpoints, gridCount, loss, background);
        AutoencoderData.check(probe, ds);               // unfit data is refused before the folder exists
        AutoencoderTrainer.checkDiscriminatorFits(cfg.loss(), ds);
        Lpips lpips = perceptual.on() ? perceptual.load(Device.CPU) : null;   // a wrong file is refused before the folder exists
        try (RunLock lock = RunLock.acquire(outDir)) {
            RunDir run = RunDir.create(outDir, cfg.toJson(), note -> out.println("note: " + note));
            AutoencoderTrainer trainer = new AutoencoderTrainer(run, cfg, ds, lpips);
            return train(run, cfg, trainer, false, out, trainer.model().numParameters());
        }
    }

    /** The perceptual term the options ask for: off, or both weight files present and the images fit for LPIPS. */
    private PerceptualLossConfig perceptualOption(OptionChecks c, ImageDataset ds) {
        if (perceptualWeight == 0) {
            c.require(vggWeights == null && lpipsWeights == null, "--vgg-weights and --lpips-weights are for the perceptual loss; give --perceptual-weight W (> 0, e.g. 1.0) too");
            return PerceptualLossConfig.OFF;
        }
        c.require(vggWeights != null && lpipsWeights != null, "--perceptual-weight " + perceptualWeight + " needs both --vgg-weights FILE (torchvision's "
                + "vgg16-397923af.pth) and --lpips-weights FILE (lpips' v0.1 vgg.pth); none ship with diffusion4j");
        c.require(java.nio.file.Files.isRegularFile(vggWeights), "--vgg-weights: no such file: " + vggWeights);
        c.require(java.nio.file.Files.isRegularFile(lpipsWeights), "--lpips-weights: no such file: " + lpipsWeights);
        try {
            Lpips.checkSize(ds.channels(), ds.height(), ds.width());
        } catch (IllegalArgumentException e) {
            throw c.fail(e.getMessage());
        }
        return new PerceptualLossConfig(perceptualWeight, vggWeights.toAbsolutePath().toString(), lpipsWeights.toAbsolutePath().toString());
    }

    private int resumeRun(PrintWriter out, OptionChecks c) {
        for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions())
            c.require(RESUMABLE.contains(o.longestName()), o.longestName() + " cannot change when resuming (the run keeps its saved config); "
                    + "only --steps and --device may be given with --resume");
        RunDir run = RunDir.open(outDir);
        AutoencoderRunConfig saved = AutoencoderRunConfig.read(run.configFile());
        long at = run.checkpoints().latest().orElseThrow(() -> new IllegalArgumentException("nothing to resume: " + outDir
                + " has no checkpoint yet; start it afresh without --resume")).step();
        AutoencoderRunConfig cfg = saved;
        if (spec.commandLine().getParseResult().hasMatchedOption("--steps")) {
            c.require(steps > at, "--steps " + steps + " must be above the checkpoint's step " + at);
            cfg = cfg.withSteps(steps);
        } else c.require(saved.steps() > at, "the run already reached its " + saved.steps() + " steps; give --steps N (above " + at + ") to train longer");
        if (spec.commandLine().getParseResult().hasMatchedOption("--device")) cfg = cfg.withDevice(Device.parse(device).toString());
        try (RunLock lock = run.lock()) {
            Autoencoder probe = AutoencoderFactory.build(cfg.preset(), new Generator(0));
            dev.diffusion4j.data.Background.set(cfg.background());
            ImageDataset ds = Datasets.open(cfg.data(), probe.imageChannels(), cfg.imageSize(), "train", w -> out.println("warning: " + w));
            AutoencoderTrainer trainer = new AutoencoderTrainer(run, cfg, ds);
            if (!cfg.equals(saved)) writeConfig(run, cfg);
            out.println("resuming " + outDir + " from step " + at + " (saved config; training to step " + cfg.steps() + ")");
            return train(run, cfg, trainer, true, out, trainer.model().numParameters());
        }
    }

    private static void writeConfig(RunDir run, AutoencoderRunConfig cfg) {
        try {
            AtomicFiles.writeString(run.configFile(), Json.writePretty(cfg.toJson()) + "\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + run.configFile() + ": " + e.getMessage(), e);
        }
    }

    private int train(RunDir run, AutoencoderRunConfig cfg, AutoencoderTrainer trainer, boolean resume, PrintWriter out, long params) {
        out.printf(Locale.ROOT, "autoencoder: %s, %,d parameters, device %s%s%n", cfg.preset(), params, cfg.device(),
                cfg.precision() == Precision.FP32 ? "" : ", precision " + cfg.precision().id());
        if (cfg.loss().usesDiscriminator()) out.println("discriminator: PatchGAN, " + cfg.loss().discLayers() + " layers, from step " + cfg.loss().discStart());
        if (cfg.loss().perceptual().on()) out.println("perceptual loss: LPIPS (VGG16), weight " + cfg.loss().perceptual().weight() + ", logged as p_loss");
        out.flush();
        Trainer.Result result;
        double[] psnr = {Double.NaN}, lpips = {Double.NaN};
        try (ProgressBar bar = new ProgressBar(System.out, "train-autoencoder", cfg.steps(), "step")) {
            result = trainer.train(resume, new Trainer.Listener() {
                @Override public void onStart(long start, long total) { bar.step(start, null); }
                @Override public void onStep(long step, double loss) { bar.step(1, String.format(Locale.ROOT, "loss %.4f", loss)); }
                @Override public void onLog(java.util.Map<String, Object> row) { if (row.get("psnr") instanceof Number n) psnr[0] = n.doubleValue();
                    if (row.get("p_loss") instanceof Number p) lpips[0] = p.doubleValue(); }
                @Override public void onNote(String message) { out.println("note: " + message); out.flush(); }
            });
        }
        out.printf(Locale.ROOT, "done: %d steps, last loss %.4f, PSNR %.2f dB on %d grid images%s%n", result.steps(), result.lastLoss(), psnr[0], cfg.gridCount(),
                Double.isNaN(lpips[0]) ? "" : String.format(Locale.ROOT, ", LPIPS %.4f (last logged training batches)", lpips[0]));
        if (result.lastGrid() != null) out.println("reconstructions: " + result.lastGrid().toAbsolutePath() + " (input, reconstruction pairs)");
        out.println("report:  " + run.reportFile().toAbsolutePath());
        if (result.lastCheckpoint() != null) out.println("checkpoint: " + result.lastCheckpoint().toAbsolutePath());
        out.println("next: " + Invocation.command() + " reconstruct --run " + Invocation.quote(outDir) + " --data " + Invocation.quote(cfg.data()) + "   |   "
                + Invocation.command() + " train --autoencoder " + Invocation.quote(outDir) + " --data " + Invocation.quote(cfg.data()) + " --out " + Invocation.quote(outDir + "-latent"));
        out.flush();
        return 0;
    }
}
