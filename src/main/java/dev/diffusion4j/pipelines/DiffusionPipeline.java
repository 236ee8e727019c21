package dev.diffusion4j.pipelines;

import dev.diffusion4j.data.Pngs;
import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.train.Checkpoints;
import dev.diffusion4j.train.Invocation;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.SampleConfig;
import dev.diffusion4j.train.SampleImages;
import dev.diffusion4j.train.TextConditioning;
import dev.diffusion4j.train.Sampling;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.train.autoencoder.LatentDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A trained diffusion4j run ready to use from Java: its latest checkpoint's EMA weights and its config (schedule,
 * parameterisation, variance, classes, latent autoencoder, text encoder). {@link #sample}, {@link #img2img} and
 * {@link #inpaint} do what {@code diffuse sample} and {@code diffuse edit} do, with the same samplers, defaults and
 * seeds; a text-to-image run draws what {@link SampleOptions.Builder#prompt} says.
 */
public final class DiffusionPipeline {
    private final TrainConfig config;
    private final DenoisingNetwork model;
    private final long step;
    private final Path checkpoint;          // the folder the weights came from: its state.json marks a saved checkpoint complete
    private final Device device;
    private final LatentDecoder decoder;    // null: a pixel-space run
    private final TextConditioning text;     // null: a run without a text encoder
    private final Path runRoot;

    private DiffusionPipeline(RunDir run, TrainConfig config, DenoisingNetwork model, Checkpoints.Entry ck, Device device) {
        this.runRoot = run.root();
        this.config = config;
        this.checkpoint = ck.dir();
        this.model = model;
        this.step = ck.step();
        this.device = device;
        this.decoder = config.latent().isLatent() ? LatentDecoder.open(config.latent(), device) : null;
        this.text = TextConditioning.of(run, config, device);
        if (text != null) {
            try {
                text.loadEma(ck.dir());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the text encoder of " + ck.dir() + ": " + e.getMessage(), e);
            }
        }
    }

    /** The run folder's latest checkpoint on the CPU. */
    public static DiffusionPipeline load(Path run) { return load(run, Device.CPU); }

    /** The run folder's latest checkpoint on {@code device}; fails with a one-line message on a folder that is not a run or has no checkpoint. */
    public static DiffusionPipeline load(Path run, Device device) {
        RunDir r = RunDir.open(run);
        TrainConfig cfg = r.config();
        Checkpoints.Entry ck = r.checkpoints().latest().orElseThrow(() -> new IllegalArgumentException(
                run + " has no checkpoint yet; train it first (" + Invocation.command() + " train --out " + Invocation.quote(run) + ")"));
        return new DiffusionPipeline(r, cfg, Trainer.loadEmaModel(r, ck.dir(), device), ck, device);
    }

    public TrainConfig config() { return config; }
    public long step() { return step; }
    public Device device() { return device; }
    public DenoisingNetwork model() { return model; }

    /** The training diffusion (its T steps, schedule, parameterisation and variance) as the run saved it. */
    public GaussianDiffusion diffusion() { return config.diffusion().build(); }

    /** The sampler the options name over this run's diffusion, built by the one factory the CLI uses too. */
    public Sampler sampler(SampleOptions o) { return o.resolve(config.sample(), 1, decoder != null).create(diffusion()); }

    /**
     * {@code count} images [count, C, H, W] in [-1, 1] on the CPU (decoded to pixels for latent runs). Class-conditional
     * runs draw every class in rows by default, as {@code diffuse sample --count count} does; batch b draws from seed + b.
     */
    public Tensor sample(int count, SampleOptions o) {
        if (count < 1) throw new IllegalArgumentException("count must be >= 1, got " + count);
        SampleConfig sc = o.resolve(config.sample(), count, decoder != null);
        checkPrompts(o);
        long[] labels = text != null ? null : labels(o, count);
        List<Tensor> parts = new ArrayList<>();
        try (var net = NetworkDenoiser.graphed(model)) {
            Denoiser denoiser = text != null ? text.guided(net, sc.guidance(), o.negativePrompt)
                    : labels == null ? net : Sampling.guided(net, config.model(), sc.guidance());
            Sampler smp = sc.create(diffusion());
            for (int from = 0, b = 0; from < count; from += o.batchSize, b++) {
                int n = Math.min(o.batchSize, count - from);
                Conditioning cond = text != null ? text.prompts(TextConditioning.spread(o.prompts, from, n, count))
                        : labels == null ? null : Sampling.labels(Arrays.copyOfRange(labels, from, from + n), device);
                parts.add(Sampling.sample(smp, denoiser, sc.withCountAndSeed(n, o.seed + b), config.model(), device, n, cond, null).to(Device.CPU));
            }
        }
        Tensor all = Tensor.cat(0, parts.toArray(new Tensor[0]));
        return decoder == null ? all : decoder.decode(all).to(Device.CPU);
    }

    /**
     * SDEdit ({@code diffuse edit img2img}): noise {@code images} [N, C, H, W] in [-1, 1] to the level {@code strength}
     * in [0, 1] reaches and denoise them back; strength 0 returns the input. Pixel-space runs only.
     */
    public Tensor img2img(Tensor images, double strength, SampleOptions o) {
        Sampler smp = editSampler(images, o);
        ImageToImage.startStep(smp, strength);   // checks the strength before any work
        Denoiser d = editDenoiser(o);
        return editBatches(images, o, (x, cond, gen) -> ImageToImage.sdedit(smp, d, x, strength, cond, gen, StepCallback.none()));
    }

    /**
     * Inpainting ({@code diffuse edit inpaint} without RePaint resampling): regenerate where {@code keep} is 0 and keep
     * {@code images} exactly where it is 1; keep is [N or 1, 1 or C, H, W]. Pixel-space runs only.
     */
    public Tensor inpaint(Tensor images, Tensor keep, SampleOptions o) {
        Sampler smp = editSampler(images, o);
        Denoiser d = editDenoiser(o);
        boolean perImage = keep.shape(0) == images.shape(0) && images.shape(0) > 1;
        int[] from = {0};
        return editBatches(images, o, (x, cond, gen) -> {
            Tensor k = perImage ? keep.slice(0, from[0], from[0] + x.shape(0)) : keep;
            from[0] += x.shape(0);
            return new Inpainting(x, k.to(device)).sample(smp, d, cond, gen, StepCallback.none());
        });
    }

    /** Writes images in [-1, 1] as a PNG grid (the CLI's grid: auto-enlarged cells, {@code nrow} images a row). */
    public void writeGrid(Path png, Tensor images, int nrow) {
        SampleImages.writeGrid(png, images, nrow, config.sample().gridScaleFor(images.shape(2), images.shape(3)));
    }

    /** Writes each image in [-1, 1] as 00000.png, 00001.png, ... into {@code folder}, as {@code diffuse sample --images}. */
    public static void writeImages(Path folder, Tensor images) {
        try {
            Files.createDirectories(folder);
            float[] data = images.to(Device.CPU).to(DType.F32).toFloatArray();
            int[] s = images.shape();
            int per = s[1] * s[2] * s[3];
            for (int i = 0; i < s[0]; i++) Pngs.writeImage(folder.resolve(String.format("%05d.png", i)), data, i * per, s[1], s[2], s[3]);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write images into " + folder + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a run folder that {@link #load} and {@code diffuse sample --run} read: this run's config.json and one
     * checkpoint holding the EMA weights and the
     * source checkpoint's state.json (what marks a checkpoint complete), and for a text run its text encoder and
     * vocabulary. Refuses a folder that already holds a run with a checkpoint. A latent run's autoencoder is referenced
     * as its config names it, not copied.
     */
    public void save(Path folder) {
        RunDir r = RunDir.create(folder, config);
        try {
            if (text != null) TextConditioning.create(r, text.spec(), runRoot.resolve("text"));   // its vocabulary and preset
            Map<String, Tensor> shadow = StateDicts.withPrefix("shadow.", model.stateDict());
            r.checkpoints().write(step, 1, dir -> {
                StateDicts.save(dir.resolve("ema.safetensors"), shadow, Map.of());
                if (text != null) text.save(dir, Map.of());
                Files.copy(checkpoint.resolve("state.json"), dir.resolve("state.json"));
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + folder + ": " + e.getMessage(), e);
        }
    }

    private Sampler editSampler(Tensor images, SampleOptions o) {
        if (decoder != null) throw new IllegalArgumentException("editing works on pixel-space runs; this run samples latents");
        int c = config.model().inChannels(), size = config.model().resolution();
        if (images.shape().length != 4 || images.shape(1) != c || images.shape(2) != size || images.shape(3) != size)
            throw new IllegalArgumentException("images must be [N, " + c + ", " + size + ", " + size + "] for this run, got " + Arrays.toString(images.shape()));
        return sampler(o);
    }

    /** Edits are unconditional unless a class is given (then guided towards it), as in diffuse edit. */
    private Denoiser editDenoiser(SampleOptions o) {
        Denoiser plain = new NetworkDenoiser(model);
        checkPrompts(o);
        if (text != null) return text.guided(plain, o.guidance != null ? o.guidance : config.sample().guidance(), o.negativePrompt);
        if (o.label < 0) return plain;
        checkLabel(o.label);
        return Sampling.guided(plain, config.model(), o.guidance != null ? o.guidance : config.sample().guidance());
    }

    private interface BatchEdit { Tensor apply(Tensor x, Conditioning cond, Generator gen); }

    private Tensor editBatches(Tensor images, SampleOptions o, BatchEdit edit) {
        List<Tensor> parts = new ArrayList<>();
        int total = images.shape(0);
        try (var g = GradMode.off()) {
            for (int from = 0, b = 0; from < total; from += o.batchSize, b++) {
                int n = Math.min(o.batchSize, total - from);
                Tensor x = images.slice(0, from, from + n).to(DType.F32).to(device);
                Conditioning cond = null;
                if (text != null) cond = text.prompts(TextConditioning.spread(o.prompts, from, n, total));
                else if (o.label >= 0) {
                    long[] l = new long[n];
                    Arrays.fill(l, o.label);
                    cond = Sampling.labels(l, device);
                }
                parts.add(edit.apply(x, cond, new Generator(o.seed + b)).to(Device.CPU).to(DType.F32));
            }
        }
        return Tensor.cat(0, parts.toArray(new Tensor[0]));
    }

    /** The label of every image, or null to draw unconditionally, as diffuse sample --class picks them. */
    private long[] labels(SampleOptions o, int count) {
        int k = config.model().numClasses();
        if (o.label == SampleOptions.UNCONDITIONAL) return null;
        if (o.label == SampleOptions.ALL_CLASSES) return k > 0 ? Sampling.classCycle(k, count) : null;
        checkLabel(o.label);
        long[] l = new long[count];
        Arrays.fill(l, o.label);
        return l;
    }

    /** A text run needs a prompt and a run without text takes none: refused before any work, naming the fix. */
    private void checkPrompts(SampleOptions o) {
        if (text != null && o.prompts == null)
            throw new IllegalArgumentException(runRoot + " is a text-to-image run: say what to draw with SampleOptions.builder().prompt(\"...\")");
        if (text == null && (o.prompts != null || o.negativePrompt != null))
            throw new IllegalArgumentException("a prompt needs a text-to-image run (diffuse train --text-encoder); " + runRoot + " has no text encoder");
    }

    private void checkLabel(int label) {
        int k = config.model().numClasses();
        if (k == 0) throw new IllegalArgumentException("a class label needs a class-conditional run; this run was trained without labels");
        if (label >= k) throw new IllegalArgumentException("class label must be in [0, " + k + "), got " + label);
    }
}
