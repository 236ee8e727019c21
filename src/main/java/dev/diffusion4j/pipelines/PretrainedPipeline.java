package dev.diffusion4j.pipelines;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.diffusion.guidance.ClassifierFreeGuidance;
import dev.diffusion4j.diffusion.guidance.NullCondition;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.interop.diffusers.ClipTokenizerFolder;
import dev.diffusion4j.interop.diffusers.ModelIndex;
import dev.diffusion4j.interop.diffusers.SchedulerConfig;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.models.UNet2DConfig;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import dev.diffusion4j.models.dit.DiffusersDiTFolder;
import dev.diffusion4j.models.text.ClipTextEncoder;
import dev.diffusion4j.models.unet2d.UNet2DFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

/**
 * A Hugging Face diffusers pipeline folder ({@code model_index.json} with its component folders) run in Java:
 * DDPMPipeline (unet + scheduler), DiTPipeline (transformer + vae + scheduler, class labels) and
 * StableDiffusionPipeline (unet + vae + CLIP text_encoder and tokenizer + scheduler, prompts). The denoiser is
 * stepped by the sampler that reproduces the folder's scheduler; latents are divided by the VAE's scaling_factor
 * and decoded, as diffusers does. Every component loads strictly by name.
 */
public final class PretrainedPipeline {
    public static final String DDPM = "DDPMPipeline", DIT = "DiTPipeline", STABLE_DIFFUSION = "StableDiffusionPipeline";
    public static final List<String> SUPPORTED = List.of(DDPM, DIT, STABLE_DIFFUSION);

    private final Path dir;
    private final ModelIndex index;
    private final DenoisingNetwork model;
    private final SchedulerConfig scheduler;
    private final Autoencoder vae;           // null: pixel space
    private final ClipTextEncoder text;      // null: no prompts
    private final Device device;

    private PretrainedPipeline(Path dir, ModelIndex index, DenoisingNetwork model, SchedulerConfig scheduler, Autoencoder vae,
                               ClipTextEncoder text, Device device) {
        this.dir = dir;
        this.index = index;
        this.model = model;
        this.scheduler = scheduler;
        this.vae = vae;
        this.text = text;
        this.device = device;
    }

    /** True when dir holds a model_index.json (a diffusers pipeline folder). */
    public static boolean isPipelineFolder(Path dir) { return Files.isRegularFile(dir.resolve("model_index.json")); }

    /**
     * Reads model_index.json and the scheduler config, checking the pipeline class before any weights are read, then
     * loads the components onto {@code device}.
     */
    public static PretrainedPipeline load(Path dir, Device device) throws IOException {
        ModelIndex index = readIndex(dir);
        SchedulerConfig scheduler = SchedulerConfig.read(componentDir(dir, index, "scheduler").resolve("scheduler_config.json"));
        DenoisingNetwork model = switch (index.className()) {
            case DIT -> DiffusersDiTFolder.load(componentDir(dir, index, "transformer")).model();
            default -> UNet2DFolder.load(componentDir(dir, index, "unet"));
        };
        Autoencoder vae = index.className().equals(DDPM) ? null : DiffusersFolder.load(componentDir(dir, index, "vae"));
        ClipTextEncoder text = null;
        if (index.className().equals(STABLE_DIFFUSION)) {
            Path tokenizer = componentDir(dir, index, "tokenizer");
            ClipTextEncoder loaded = ClipTextEncoder.load(componentDir(dir, index, "text_encoder"));
            // prompts are padded to tokenizer_config.json's model_max_length, as StableDiffusionPipeline pads them
            text = new ClipTextEncoder(ClipTokenizerFolder.configured(tokenizer, loaded.tokenizer()), loaded.model());
        }
        model.to(device).eval();
        if (vae != null) vae.to(device).eval();
        if (text != null) text.model().to(device).eval();
        return new PretrainedPipeline(dir, index, model, scheduler, vae, text, device);
    }

    /** model_index.json of dir, refused when missing or naming a pipeline class that is not supported. */
    public static ModelIndex readIndex(Path dir) throws IOException {
        Path file = dir.resolve("model_index.json");
        if (!Files.isRegularFile(file))
            throw new NoSuchFileException(file.toString(), null, "not a diffusers pipeline folder (no model_index.json); supported pipelines: "
                    + String.join(", ", SUPPORTED));
        ModelIndex index = ModelIndex.read(file);
        if (!SUPPORTED.contains(index.className()))
            throw new IllegalArgumentException(file + ": pipeline " + index.className() + " is not supported; supported: " + String.join(", ", SUPPORTED));
        return index;
    }

    private static Path componentDir(Path dir, ModelIndex index, String name) throws IOException {
        index.component(name);   // names the components there are when this one is absent
        Path d = dir.resolve(name);
        if (!Files.isDirectory(d)) throw new NoSuchFileException(d.toString(), null, "model_index.json lists " + name + " but the folder is missing");
        return d;
    }

    public String className() { return index.className(); }
    public Path folder() { return dir; }
    public DenoisingNetwork model() { return model; }
    public SchedulerConfig scheduler() { return scheduler; }
    public boolean takesPrompts() { return text != null; }
    public int numClasses() { return model.config().numClasses(); }

    /** Side of the images it makes: the denoiser's input size, times the VAE's downsampling in latent pipelines. */
    public int imageSize() { return model.config().resolution() * (vae == null ? 1 : vae.downsampleFactor()); }

    /** diffusers' default number of inference steps for this pipeline (DDPMPipeline 1000, DiTPipeline and Stable Diffusion 50). */
    public int defaultSteps() { return className().equals(DDPM) ? 1000 : 50; }

    /** diffusers' default guidance scale (DiTPipeline 4, Stable Diffusion 7.5; none for DDPMPipeline). */
    public double defaultGuidance() { return switch (className()) { case DIT -> 4.0; case STABLE_DIFFUSION -> 7.5; default -> 1.0; }; }

    /** The sampler that steps as the folder's scheduler does, with n inference steps (eta: DDIM only). */
    public Sampler sampler(int steps, double eta) { return scheduler.sampler(steps, eta); }

    /**
     * One batch: images [n, C, H, W] in [-1, 1] on the CPU. prompts (n of them) for a text pipeline, labels (n) for a
     * class-conditional one, else both null; guidance 1 turns classifier-free guidance off.
     */
    public Tensor sample(Sampler sampler, int n, List<String> prompts, String negativePrompt, long[] labels, double guidance, long seed,
                         StepCallback callback) {
        Generator gen = new Generator(seed);
        int c = model.config().inChannels(), r = model.config().resolution();
        Tensor noise;
        try (var g = GradMode.off()) { noise = Tensor.randn(gen, DType.F32, device, n, c, r, r); }
        return sampleFrom(sampler, noise, prompts, negativePrompt, labels, guidance, gen, callback);
    }

    /**
     * As {@link #sample} from a given initial noise [n, C, h, w] (the denoiser's input: latents in latent pipelines),
     * e.g. the same noise a diffusers pipeline starts from; gen feeds ancestral samplers.
     */
    public Tensor sampleFrom(Sampler sampler, Tensor noise, List<String> prompts, String negativePrompt, long[] labels, double guidance,
                             Generator gen, StepCallback callback) {
        int n = noise.shape(0);
        checkConditioning(n, prompts, labels, guidance);
        try (var g = GradMode.off(); var net = NetworkDenoiser.graphed(model)) {
            Conditioning cond = null;
            Denoiser d = net;
            if (text != null) {
                cond = Conditioning.of(NetworkDenoiser.CONTEXT, text.encode(prompts));
                Tensor negative = text.encode(Collections.nCopies(n, negativePrompt == null ? "" : negativePrompt));
                if (guidance != 1) d = new ClassifierFreeGuidance(net, x -> Conditioning.of(NetworkDenoiser.CONTEXT, negative), guidance);
            } else if (labels != null) {
                cond = Conditioning.of(NetworkDenoiser.LABEL, Tensor.ofLongs(labels, labels.length).to(device));
                // label numClasses() is the table's "no class" row: DiT's, or the one a diffuse export marks (guidable() checked it)
                if (guidance != 1) d = new ClassifierFreeGuidance(net, NullCondition.label(NetworkDenoiser.LABEL, numClasses()), guidance);
            }
            if (model.config().learnSigma() && !scheduler.variance().learned()) {
                // as DiTPipeline: a learned-sigma model under a fixed-variance scheduler steps on its prediction channels only
                Denoiser full = d;
                int c = model.config().inChannels();
                d = (x, t, k) -> full.apply(x, t, k).slice(1, 0, c);
            }
            Tensor x = sampler.sample(d, noise.to(device), cond, gen, callback == null ? StepCallback.none() : callback);
            if (vae != null) x = vae.decode(x.mul(1.0 / latentScale()));
            return x.clamp(-1, 1).to(Device.CPU);
        }
    }

    /** The VAE's scaling_factor (1 where its config has none, as diffusers' VQModel folders may). */
    private double latentScale() { return Double.isNaN(vae.scalingFactor()) ? 1.0 : vae.scalingFactor(); }

    /**
     * Whether classifier-free guidance applies: text pipelines (the empty or negative prompt), DiT (its label table's
     * extra "no class" row) and a class-conditional U-Net exported by diffuse (its last class row, marked in
     * config.json); a class-conditional UNet2DModel of diffusers' own has no such row.
     */
    public boolean guidable() { return whyNotGuidable() == null; }

    /** Null when {@link #guidable()}, else why not, in words for the user. */
    public String whyNotGuidable() {
        if (text != null || className().equals(DIT)) return null;
        if (!(model.config() instanceof UNet2DConfig u) || u.numClasses() == 0)
            return "this " + className() + "'s U-Net is unconditional: there is no class to guide towards";
        if (u.nullClass()) return null;
        return "its " + u.className() + "'s num_class_embeds (" + u.numClasses() + ") are all real classes, with no 'no class' row to guide away "
                + "from (a folder written by diffuse export marks its extra row with " + UNet2DConfig.NULL_CLASS_KEY + " in unet/config.json)";
    }

    private void checkConditioning(int n, List<String> prompts, long[] labels, double guidance) {
        String why = guidance != 1 ? whyNotGuidable() : null;
        if (why != null) throw new IllegalArgumentException("classifier-free guidance " + guidance + " is not possible: " + why + "; use guidance 1");
        if (text != null && (prompts == null || prompts.size() != n))
            throw new IllegalArgumentException(className() + " draws from prompts: give " + n + " prompts");
        if (text == null && prompts != null) throw new IllegalArgumentException(className() + " takes no prompts");
        if (numClasses() > 0 && text == null && labels == null)
            throw new IllegalArgumentException(className() + " is class-conditional (" + numClasses() + " classes): give a label per image");
        if (labels != null) {
            if (numClasses() == 0) throw new IllegalArgumentException(className() + " takes no class labels");
            int top = guidable() ? numClasses() : numClasses() - 1;   // numClasses() itself is the "no class" row where there is one
            for (long l : labels) if (l < 0 || l > top) throw new IllegalArgumentException("class labels must be in [0, " + top + "], got " + l);
        }
    }
}
