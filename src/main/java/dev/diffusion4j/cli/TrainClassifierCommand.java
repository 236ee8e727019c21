package dev.diffusion4j.cli;

import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.data.StridedSplit;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.ModelPresets;
import dev.diffusion4j.models.NoisyClassifierConfig;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.train.ClassifierRun;
import dev.diffusion4j.train.ClassifierRunConfig;
import dev.diffusion4j.train.ClassifierTrainer;
import dev.diffusion4j.train.DiffusionConfig;
import dev.diffusion4j.train.Invocation;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.RunLock;
import dev.diffusion4j.train.TrainConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffuse train-classifier}: train the noisy classifier that classifier guidance ({@code sample --classifier}) differentiates. */
@Command(name = "train-classifier", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a classifier of noisy images x_t for classifier guidance (Dhariwal and Nichol 2021): a U-Net's encoder half with a",
                "mean-pool head, fed labelled images noised at random timesteps of the diffusion run's schedule. Every 10th image is held",
                "out; at the end the accuracy on it by noise level (4 buckets of t) is printed and logged to metrics.jsonl."},
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} train-classifier --run runs/shapes --out runs/shapes-classifier",
                "  ${sys:diffuse.command:-diffuse} sample --run runs/shapes --classifier runs/shapes-classifier --classifier-scale 2",
                "  ${sys:diffuse.command:-diffuse} train-classifier --out runs/shapes-classifier --resume --steps 4000"})
public final class TrainClassifierCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin ImageLimitOption imageLimit = new ImageLimitOption();

    @Option(names = "--run", paramLabel = "DIR", description = "The diffusion run to guide: its schedule, data, image size and (for a U-Net) widths are taken.")
    Path baseRun;

    @Option(names = "--data", paramLabel = "SPEC", description = "Labelled images (class sub-folders, IDX, CIFAR-10 or 'shapes'). Default: the --run's data.")
    String data;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Run folder to create (or continue with --resume).")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out from its latest checkpoint; only --steps and --device may change.")
    boolean resume;

    @Option(names = "--preset", paramLabel = "NAME", description = "U-Net preset whose encoder half is the classifier. Default: the --run's U-Net, else tiny.")
    String preset;

    @Option(names = "--image-size", paramLabel = "N", description = "Square image size without --run. Default: the preset's.")
    Integer imageSize;

    @Option(names = "--channels", paramLabel = "C", description = "Image channels without --run (1 or 3). Default: the preset's.")
    Integer channels;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "2000", description = "Optimizer steps. Default: ${DEFAULT-VALUE}.")
    long steps;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "32", description = "Images per step. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "3e-4", description = "Peak learning rate (AdamW, cosine decay). Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = "0.05", description = "AdamW decoupled weight decay. Default: ${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(names = "--no-flip", description = "Turn off random horizontal flips.")
    boolean noFlip;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of every random draw. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--log-every", paramLabel = "N", defaultValue = "10", description = "Steps between metrics lines. Default: ${DEFAULT-VALUE}.")
    int logEvery;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "500", description = "Steps between checkpoints (one is always written at the end). Default: ${DEFAULT-VALUE}.")
    int checkpointEvery;

    @Option(names = "--keep-checkpoints", paramLabel = "N", defaultValue = "2", description = "Checkpoints kept on disk. Default: ${DEFAULT-VALUE}.")
    int keepCheckpoints;

    private static final Set<String> RESUMABLE = Set.of("--out", "--resume", "--steps", "--device", "--max-image-pixels");

    @Override public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        OptionChecks c = new OptionChecks(spec);
        imageLimit.apply(spec);
        c.atLeast("--steps", steps, 1).between("--batch-size", batchSize, 2, TrainCommand.MAX_BATCH).positive("--lr", lr)
         .nonNegative("--weight-decay", weightDecay).atLeast("--log-every", logEvery, 1).atLeast("--checkpoint-every", checkpointEvery, 1)
         .atLeast("--keep-checkpoints", keepCheckpoints, 1);
        Device dev = c.device("--device", device);
        ClassifierRun run;
        ClassifierRunConfig cfg;
        if (resume) {
            for (OptionSpec opt : spec.commandLine().getParseResult().matchedOptions())
                c.require(RESUMABLE.contains(opt.longestName()) || opt.usageHelp() || opt.versionHelp(),
                        "--resume continues the saved run, so " + opt.longestName() + " cannot change; only --steps and --device may");
            run = ClassifierRun.open(out);
            long at = run.checkpoints().latest().orElseThrow(() -> new IllegalArgumentException(out + " has no checkpoint to resume from; start it afresh without --resume")).step();
            ClassifierRunConfig saved = run.config();
            long total = spec.commandLine().getParseResult().hasMatchedOption("--steps") ? steps : saved.steps();
            if (total <= at) throw new IllegalArgumentException(out + " is at step " + at + "; pass --steps above " + at + " to train further");
            cfg = new ClassifierRunConfig(saved.data(), saved.guides(), saved.flip(), saved.model(), saved.diffusion(), total, saved.batchSize(), saved.lr(),
                    saved.weightDecay(), saved.seed(), spec.commandLine().getParseResult().hasMatchedOption("--device") ? dev.toString() : saved.device(),
                    saved.logEvery(), saved.checkpointEvery(), saved.keepCheckpoints());
        } else {
            c.outputFolder("--out", out);
            cfg = newConfig(c, dev);
            run = null;
        }
        ImageDataset all = Datasets.open(cfg.data(), cfg.model().inChannels(), cfg.model().resolution(), "train", w -> o.println("warning: " + w));
        if (all.numClasses() < 2)
            throw new IllegalArgumentException("train-classifier needs labelled data with at least 2 classes; " + all.describe() + " has " + all.numClasses());
        if (all.numClasses() != cfg.model().numClasses())
            throw new IllegalArgumentException(all.describe() + " has " + all.numClasses() + " classes, the classifier " + cfg.model().numClasses());
        if (all.size() < 20) throw new IllegalArgumentException(all.describe() + " has only " + all.size() + " images; train-classifier needs at least 20");
        ImageDataset train = StridedSplit.kept(all, 10), heldOut = StridedSplit.heldOut(all, 10);
        c.require(train.size() >= cfg.batchSize(), "--batch-size " + cfg.batchSize() + " is larger than the " + train.size() + " training images");
        try (RunLock lock = RunLock.acquire(out)) {
            if (run == null) run = ClassifierRun.create(out, cfg);
            else run.writeConfig(cfg);
            ClassifierTrainer trainer = new ClassifierTrainer(run, cfg);
            o.printf(Locale.ROOT, "training a noisy classifier (%,d parameters, %d classes) on %s, holding out %d images; %s schedule, %d steps; device %s%n",
                    trainer.model().numParameters(), cfg.model().numClasses(), train.describe(), heldOut.size(), cfg.diffusion().schedule(),
                    cfg.diffusion().steps(), cfg.device());
            o.flush();
            ClassifierTrainer.Result r;
            try (ProgressBar bar = new ProgressBar(System.out, "train-classifier", cfg.steps(), "step")) {
                double[] acc = {Double.NaN};
                r = trainer.train(train, heldOut, resume, new ClassifierTrainer.Listener() {
                    @Override public void onStart(long start, long total) { bar.step(start, null); }
                    @Override public void onStep(long step, double loss) {
                        bar.step(1, String.format(Locale.ROOT, "loss %.4f", loss) + (Double.isNaN(acc[0]) ? "" : String.format(Locale.ROOT, " acc %.3f", acc[0])));
                    }
                    @Override public void onLog(Map<String, Object> row) { if (row.get("train_accuracy") instanceof Number n) acc[0] = n.doubleValue(); }
                });
            }
            o.printf(Locale.ROOT, "done: %d steps, last loss %.4f%n", r.steps(), r.lastLoss());
            o.print(r.accuracy().table());
            o.println("checkpoint: " + r.lastCheckpoint().toAbsolutePath());
            if (!cfg.guides().isEmpty())
                o.println("next: " + Invocation.command() + " sample --run " + Invocation.quote(cfg.guides()) + " --classifier " + Invocation.quote(out) + " --classifier-scale 1");
            o.flush();
        }
        return 0;
    }

    private ClassifierRunConfig newConfig(OptionChecks c, Device dev) {
        TrainConfig base = baseRun == null ? null : RunDir.open(baseRun).config();
        c.require(base != null || data != null, "give --run (the diffusion run to guide) or --data");
        c.require(base == null || (imageSize == null && channels == null), "--image-size and --channels come from --run; drop them");
        if (channels != null) c.require(channels == 1 || channels == 3, "--channels must be 1 (gray) or 3 (RGB), got " + channels);
        UNetConfig enc;
        if (preset != null) enc = c.parse("--preset", preset, ModelPresets::unet);
        else if (base != null && base.model() instanceof UNetConfig u) enc = u;
        else enc = ModelPresets.unet("tiny");
        ModelConfig shape = base != null ? base.model() : enc;
        int ch = channels != null ? channels : shape.inChannels(), size = imageSize != null ? imageSize : shape.resolution();
        int multiple = 1 << (enc.channelMult().length - 1);
        c.require(size % multiple == 0, "the image size " + size + " must be a multiple of " + multiple + " for this encoder (it halves the image "
                + (enc.channelMult().length - 1) + " times)");
        String spec = data != null ? data : base.data();
        ImageDataset probe = Datasets.open(spec, ch, size, "train", w -> {});
        DiffusionConfig d = base != null ? base.diffusion() : DiffusionConfig.defaults();
        return new ClassifierRunConfig(spec, base == null ? "" : baseRun.toString(), !noFlip,
                new NoisyClassifierConfig(enc.withInput(ch, size), Math.max(2, probe.numClasses())), d, steps, batchSize, lr, weightDecay, seed,
                dev.toString(), logEvery, checkpointEvery, keepCheckpoints);
    }
}
