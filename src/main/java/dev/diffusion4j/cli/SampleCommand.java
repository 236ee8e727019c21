package dev.diffusion4j.cli;

import dev.diffusion4j.pipelines.DiffusionPipeline;
import dev.diffusion4j.pipelines.SampleOptions;
import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.train.autoencoder.LatentDecoder;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.train.ClassifierGuide;
import dev.diffusion4j.train.Invocation;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.SampleConfig;
import dev.diffusion4j.train.SampleImages;
import dev.diffusion4j.train.Sampling;
import dev.diffusion4j.train.SuperResolutionTask;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.TextConditioning;
import dev.diffusion4j.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffuse sample}: draw images from a trained run's EMA weights. */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw images from a trained model (its EMA weights) as a PNG grid, single PNGs and/or a denoising strip.",
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} sample --run runs/shapes",
                "  ${sys:diffuse.command:-diffuse} sample --run runs/shapes --sampler dpm++2m --steps 20 --count 16 --strip strip.png",
                "  ${sys:diffuse.command:-diffuse} sample --run runs/fmnist --class 3 --count 64"})
public final class SampleCommand implements Callable<Integer> {
    static final int MAX_COUNT = 1_000_000;

    @Spec CommandSpec spec;

    @Option(names = "--run", paramLabel = "DIR", description = "Training run folder (written by diffuse train).")
    Path run;

    @Option(names = "--pretrained", paramLabel = "DIR", description = "Instead of --run: a Hugging Face diffusers pipeline folder (model_index.json: "
            + "DDPMPipeline, DiTPipeline or StableDiffusionPipeline), sampled with its own scheduler; --steps defaults to diffusers' (1000 for "
            + "DDPMPipeline, else 50), --guidance to diffusers' (DiT 4, Stable Diffusion 7.5).")
    Path pretrained;

    @Option(names = "--checkpoint", paramLabel = "STEP", description = "Checkpoint step to use. Default: the latest.")
    Long checkpoint;

    @Option(names = "--count", paramLabel = "N", defaultValue = "64", description = "Number of images (exactly; see --class for how class-conditional runs spread them). Default: ${DEFAULT-VALUE}, "
                    + "rounded down to whole class rows on class-conditional runs (60 for 5 classes).")
    int count;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = SampleOptions.DEFAULT_BATCH_SIZE, description = "Images sampled at once. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--sampler", paramLabel = "S", description = "Sampler: " + SampleConfig.NAMES + ". Default: the run's (ddim).")
    String sampler;

    @Option(names = "--steps", paramLabel = "N", description = "Sampler steps. Default: the run's (25 for new runs).")
    Integer steps;

    @Option(names = "--eta", paramLabel = "E", defaultValue = SampleOptions.DEFAULT_ETA, description = "DDIM eta (0 deterministic, 1 DDPM-like). Default: ${DEFAULT-VALUE}.")
    double eta;

    @Option(names = "--seed", paramLabel = "N", defaultValue = SampleOptions.DEFAULT_SEED, description = "Seed of the sampling noise. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--no-clip", description = "Do not clip the predicted x0 to [-1, 1] at each step (clipping is on by default; latent runs are never clipped).")
    boolean noClip;

    @Option(names = "--class", paramLabel = "K|all|none",
            description = "Class-conditional runs: draw class K, 'all' (exactly --count images in rows of count/classes per class, in label "
                    + "order, the remainder starting again at class 0; fewer images than classes: the first classes) or 'none' (unconditional; with --pretrained, "
                    + "a DiT or an exported U-Net with a 'no class' row). "
                    + "Default: all for class-conditional runs.")
    String label;

    @Option(names = "--guidance", paramLabel = "W",
            description = "Classifier-free guidance scale with a class (1 = plain conditional, larger = more typical of the class). Default: the run's (3).")
    Double guidance;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "For a text-to-image run (diffuse train --text-encoder): what to draw. Repeat for several prompts, one row each (--count is split among them).")
    List<String> prompts;

    @Option(names = "--negative-prompt", paramLabel = "TEXT",
            description = "With --prompt: what classifier-free guidance steers away from. Default: the empty prompt (what caption dropout trained).")
    String negativePrompt;

    @Option(names = "--grid-scale", paramLabel = "N",
            description = "Enlarge each image N times in the grid, nearest neighbour (0 = auto: cells of at least 64 pixels, 1 = off). Default: the run's (auto).")
    Integer gridScale;

    /** Where the grid goes without --grid. */
    static Path defaultGrid(Path samplesDir, long seed) { return samplesDir.resolve("sample-" + seed + ".png"); }

    @Option(names = "--grid", paramLabel = "PNG", description = "Grid output. Default: <run>/samples/sample-<seed>.png (with --pretrained: <folder name>-sample-<seed>.png in the current folder).")
    Path grid;

    @Option(names = "--images", paramLabel = "DIR", description = "Also write each image as a PNG into this folder.")
    Path imagesDir;

    @Option(names = "--strip", paramLabel = "PNG", description = "Also write a denoising strip: the predicted x0 of the first image at 10 points of the sampling, "
                    + "enlarged like the grid (--grid-scale).")
    Path strip;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32",
            description = "GPU math while sampling: fp32, tf32 (TF32 tensor cores for f32 products and convolutions) or bf16 (bf16 autocast). "
                    + "The CPU computes in f32. Default: ${DEFAULT-VALUE}.")
    String precision;

    /** The parsed --precision, its TF32 switch applied (checked with the other options). */
    Precision mathMode;

    @Option(names = "--no-cuda-graphs", description = "On CUDA, run every network call eagerly instead of replaying it from a CUDA graph "
            + "(by default the network's kernels are recorded once per batch shape and replayed in one launch).")
    void noCudaGraphs(boolean off) { dev.diffusion4j.engine.GraphedFunction.setEnabled(!off); }

    @Option(names = "--upscale", paramLabel = "SR_RUN", description = "Chain a super-resolution run after this one (repeat for more stages); "
            + "the grid, --images and a <grid>-cascade.png comparison then show the upscaled images.")
    List<Path> upscale = new ArrayList<>();

    @Option(names = "--classifier", paramLabel = "RUN", description = "Classifier guidance with a noisy classifier (diffuse train-classifier) towards --class "
            + "(default: one row per class); works on unconditional runs too.")
    Path classifier;

    @Option(names = "--classifier-scale", paramLabel = "S", defaultValue = "1.0",
            description = "With --classifier: scale of the gradient of log p(class | x_t) (0 = off, larger = more typical of the class). Default: ${DEFAULT-VALUE}.")
    double classifierScale;

    @Option(names = "--aug-level", paramLabel = "L", description = "With --upscale: noise-augmentation level of each stage's input in [0, 1]. Default: each run's.")
    Double augLevel;


    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (pretrained != null) {
            PretrainedSample.checkOptions(this, new OptionChecks(spec));
            return PretrainedSample.run(this, checkOptionsAndNote(out), out);
        }
        new OptionChecks(spec).require(run != null, "give --run DIR (a training run) or --pretrained DIR (a diffusers pipeline folder)");
        Device dev = checkOptionsAndNote(out);
        RunDir r = RunDir.open(run);
        TrainConfig cfg = r.config();
        if (SuperResolutionTask.of(r) != null)
            throw new IllegalArgumentException(run + " is a super-resolution stage: chain it after a base run with --upscale " + run + ", or try it with: "
                    + Invocation.command() + " upscale --run " + Invocation.quote(run) + " --input " + Invocation.quote(run.resolve(SuperResolutionTask.EXAMPLES)));
        UpscaleChain chain = UpscaleChain.open(upscale, run.toString(), cfg.model().inChannels(), cfg.model().resolution(), augLevel, dev);
        var ck = RunCheckpoint.pick(r, checkpoint);
        SampleConfig base = cfg.sample();
        ClassifierGuide guide = classifier == null ? null : ClassifierGuide.open(classifier, cfg, classifierScale, dev);
        // classifier guidance draws classes of an unconditional model too: the classifier's
        int k = cfg.model().numClasses() > 0 || guide == null ? cfg.model().numClasses() : guide.numClasses();
        // the default --count fills whole class rows (64 on 5 classes: 60); a --count the user gives is drawn exactly
        if (k > 0 && !spec.commandLine().getParseResult().hasMatchedOption("--count") && (label == null || "all".equalsIgnoreCase(label)))
            count = Math.max(k, count / k * k);
        // latents are never clipped to [-1, 1]; a latent run's samples are decoded to pixels
        LatentDecoder decoder = cfg.latent().isLatent() ? LatentDecoder.open(cfg.latent(), dev) : null;
        SampleConfig sc = new SampleConfig(sampler != null ? sampler : base.sampler(), steps != null ? steps : base.steps(), eta, count, seed,
                !noClip && decoder == null,
                guidance != null ? guidance : base.guidance(), gridScale != null ? gridScale : base.gridScale());
        new OptionChecks(spec).etaOnlyWithDdim(sc.sampler());
        long[] labels = classLabels(k);          // null: unconditional
        if (guide != null && labels == null) throw new IllegalArgumentException("--classifier guides towards classes; drop --class none");
        DenoisingNetwork model = Trainer.loadEmaModel(r, ck.dir(), dev);
        var text = TextConditioning.of(r, cfg, dev);
        if (text == null && (prompts != null || negativePrompt != null)) throw new IllegalArgumentException("--prompt needs a text-to-image run (diffuse train --text-encoder); " + run + " has no text encoder");
        if (text != null && prompts == null) throw new IllegalArgumentException(run + " is a text-to-image run: say what to draw with --prompt \"...\"");
        if (text != null) text.loadEma(ck.dir());
        GaussianDiffusion diffusion = cfg.diffusion().build();
        boolean classRows = labels != null && (label == null || "all".equalsIgnoreCase(label));
        int total = labels == null ? count : labels.length;
        int nrow = classRows ? Sampling.perClass(k, count) : text != null && prompts.size() > 1 ? Math.max(1, total / prompts.size()) : (int) Math.ceil(Math.sqrt(total));
        var net = NetworkDenoiser.graphed(model);   // closed with the progress bar below
        var denoiser = text != null ? text.guided(net, sc.guidance(), negativePrompt)
                : labels == null ? net : Sampling.guided(net, cfg.model(), sc.guidance());
        var sampler = guide == null ? sc.create(diffusion) : guide.guided(sc.create(diffusion), diffusion);
        String cfgNote = cfg.model().numClasses() > 0 ? ", guidance " + sc.guidance() : "";
        out.printf("sampling %d images from %s (step %d) with %s, %d steps, %s, on %s%n", total, run, ck.step(), sc.sampler(), sc.steps(),
                text != null ? "prompts " + prompts + ", guidance " + sc.guidance() : labels == null ? "unconditional" : (classRows ? "one row per class" : "class " + label) + cfgNote
                        + (guide == null ? "" : ", classifier " + classifier + " at scale " + guide.scale()), dev);
        out.flush();
        List<Tensor> parts = new ArrayList<>();
        List<Tensor> stripFrames = new ArrayList<>();
        int batches = (total + batchSize - 1) / batchSize;
        try (ProgressBar bar = new ProgressBar(System.out, "sample", (long) batches * sc.create(diffusion).steps(), "step");
             var ac = mathMode.autocast(); net) {
            for (int b = 0; b < batches; b++) {
                int n = Math.min(batchSize, total - b * batchSize);
                Conditioning cond = text != null ? text.prompts(TextConditioning.spread(prompts, b * batchSize, n, total))
                        : labels == null ? null
                        : Sampling.labels(java.util.Arrays.copyOfRange(labels, b * batchSize, b * batchSize + n), dev);
                boolean first = b == 0;
                StepCallback cb = s -> {
                    bar.step(1);
                    if (first && strip != null && s.predX0() != null && keepFrame(s.index(), s.total()))
                        stripFrames.add(s.predX0().slice(0, 0, 1).clamp(-1, 1).to(Device.CPU));
                };
                SampleConfig batchCfg = sc.withCountAndSeed(n, seed + b);
                parts.add(Sampling.sample(sampler, denoiser, batchCfg, cfg.model(), dev, n, cond, cb).to(Device.CPU));
            }
        }
        Tensor all = Tensor.cat(0, parts.toArray(new Tensor[0]));
        if (decoder != null) all = decoder.decode(all).to(Device.CPU);
        Path gridPath = grid != null ? grid : defaultGrid(r.samplesDir(), seed);
        int scale = sc.gridScaleFor(all.shape(2), all.shape(3));
        if (!chain.stages().isEmpty()) {
            List<Tensor> outs;
            try (ProgressBar bar = new ProgressBar(System.out, "upscale", chain.totalSteps(total, batchSize), "step")) {
                outs = chain.run(all, batchSize, seed, dev, () -> bar.step(1));
            }
            Path cascade = gridPath.resolveSibling(gridPath.getFileName().toString().replaceFirst("(\\.png)?$", "-cascade.png"));
            SampleImages.writeGrid(cascade, SuperResolutionTask.sideBySide(8, outs.toArray(new Tensor[0])), outs.size(),
                    sc.gridScaleFor(chain.outputSize(0), chain.outputSize(0)));
            out.println("cascade: " + cascade.toAbsolutePath() + " (per row: the base sample, then each stage's output)");
            all = outs.get(outs.size() - 1);
            scale = sc.gridScaleFor(all.shape(2), all.shape(3));
        }
        SampleImages.writeGrid(gridPath, all, nrow, scale);
        out.println("grid: " + gridPath.toAbsolutePath());
        if (imagesDir != null) {
            DiffusionPipeline.writeImages(imagesDir, all);
            out.println("images: " + imagesDir.toAbsolutePath() + " (" + all.shape(0) + " PNG files)");
        }
        if (strip != null && !stripFrames.isEmpty()) {
            Tensor frames = Tensor.cat(0, stripFrames.toArray(new Tensor[0]));
            if (decoder != null) frames = decoder.decode(frames).to(Device.CPU);
            SampleImages.writeStrip(strip, Tensor.cat(0, frames, all.slice(0, 0, 1)), scale);
            out.println("strip: " + strip.toAbsolutePath() + " (predicted x0 from noise to the final image)");
        }
        out.flush();
        return 0;
    }

    private Device checkOptionsAndNote(PrintWriter out) {
        Device dev = checkOptions();
        if (mathMode != Precision.FP32 && !dev.isCuda()) out.println("note: --precision " + mathMode.id() + " applies on CUDA; the CPU computes in f32");
        return dev;
    }

    /** Every option against its allowed range, and the output paths, before the run is read or anything is written. */
    private Device checkOptions() {
        OptionChecks c = new OptionChecks(spec);
        if (checkpoint != null) c.atLeast("--checkpoint", checkpoint, 0);
        c.between("--count", count, 1, MAX_COUNT).between("--batch-size", batchSize, 1, TrainCommand.MAX_BATCH).unitInterval("--eta", eta);
        if (sampler != null) c.oneOf("--sampler", sampler, TrainCommand.SAMPLERS);
        if (steps != null) c.between("--steps", steps, 1, TrainCommand.MAX_SAMPLE_STEPS);
        if (guidance != null) c.nonNegative("--guidance", guidance);
        c.nonNegative("--classifier-scale", classifierScale);
        if (augLevel != null) c.unitInterval("--aug-level", augLevel);
        if (gridScale != null) c.between("--grid-scale", gridScale, 0, 32);
        if (grid != null) c.outputFile("--grid", grid);
        if (strip != null) c.outputFile("--strip", strip);
        if (imagesDir != null) c.outputFolder("--images", imagesDir);
        mathMode = c.parse("--precision", precision, Precision::parse);
        mathMode.applyMathMode();
        return c.device("--device", device);
    }

    /** The label of every image to draw, or null to draw unconditionally; checks --class against the run. */
    private long[] classLabels(int k) {
        if (label == null) return k > 0 ? Sampling.classCycle(k, count) : null;
        if ("none".equalsIgnoreCase(label)) return null;
        if (k == 0) throw new IllegalArgumentException("--class needs a class-conditional run (or --classifier); " + run + " was trained without labels");
        if ("all".equalsIgnoreCase(label)) return Sampling.classCycle(k, count);
        int c;
        try {
            c = Integer.parseInt(label.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--class takes a class number, 'all' or 'none', not '" + label + "'");
        }
        if (c < 0 || c >= k) throw new IllegalArgumentException("--class must be in [0, " + k + "), got " + c);
        long[] labels = new long[count];
        java.util.Arrays.fill(labels, c);
        return labels;
    }

    /** About ten evenly spaced frames of the sampling trajectory. */
    private static boolean keepFrame(int index, int total) {
        int every = Math.max(1, total / 9);
        return index % every == 0;
    }
}
