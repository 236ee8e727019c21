package dev.diffusion4j.train;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.guidance.ClassifierFreeGuidance;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.models.text.ClipTextConfig;
import dev.diffusion4j.models.text.ClipTextEncoder;
import dev.diffusion4j.models.text.ClipTextModel;
import dev.diffusion4j.models.text.ClipTokenizer;
import dev.diffusion4j.nn.Ema;
import dev.diffusion4j.nn.Parameter;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text side of a text-to-image run: a CLIP-like text encoder trained from scratch together with the U-Net or DiT,
 * whose hidden states reach the model's cross-attention under "context". A run is text-to-image when its folder holds
 * text/text.json (the encoder preset, caption dropout, token length) beside the vocabulary it was started with
 * (text/vocab.json, text/merges.txt). Checkpoints hold the encoder's weights and EMA in text_encoder.safetensors.
 */
public final class TextConditioning {
    static final String DIR = "text", SPEC = "text.json", WEIGHTS = "text_encoder.safetensors";
    /** Tokens per prompt: short captions need few, and cross-attention's cost grows with it. */
    public static final int DEFAULT_MAX_LENGTH = 32;

    /** text.json: what the encoder is and how captions are dropped (to the empty prompt) in training. */
    public record Spec(String preset, double captionDropout, int maxLength) {
        public Spec {
            if (!ClipTextConfig.PRESETS.contains(preset)) throw new IllegalArgumentException("unknown text encoder '" + preset + "'; one of " + ClipTextConfig.PRESETS);
            if (!(captionDropout >= 0 && captionDropout < 1)) throw new IllegalArgumentException("caption dropout must be in [0, 1), got " + captionDropout);
            if (maxLength < 2) throw new IllegalArgumentException("text max length must be >= 2, got " + maxLength);
        }
    }

    private final Spec spec;
    private final ClipTextEncoder encoder;
    private final Ema ema;

    private TextConditioning(Spec spec, ClipTextEncoder encoder, double emaDecay, boolean emaWarmup) {
        this.spec = spec;
        this.encoder = encoder;
        this.ema = new Ema(encoder.model(), emaDecay, emaWarmup);
    }

    /** Records a new text-to-image run's encoder and vocabulary (copied from vocabDir) in its folder. */
    public static void create(RunDir run, Spec spec, Path vocabDir) throws IOException {
        Path dir = run.root().resolve(DIR);
        Files.createDirectories(dir);
        for (String f : List.of("vocab.json", "merges.txt"))
            Files.copy(vocabDir.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve(SPEC), Json.writePretty(ConfigJson.toMap(spec)) + "\n");
    }

    /** The run's text encoder (fresh weights from the run's seed), or null for a run without text. */
    public static TextConditioning of(RunDir run, TrainConfig cfg, Device device) {
        Path dir = run.root().resolve(DIR);
        if (!Files.isRegularFile(dir.resolve(SPEC))) return null;
        try {
            Spec spec = ConfigJson.read(dir.resolve(SPEC), Spec.class);
            ClipTokenizer tok = ClipTokenizer.load(dir).withMaxLength(spec.maxLength());
            ClipTextModel model = new ClipTextModel(ClipTextConfig.preset(spec.preset(), tok), new Generator(cfg.seed()).fork(3));
            model.to(device);
            return new TextConditioning(spec, new ClipTextEncoder(tok, model), cfg.optim().emaDecay(), cfg.optim().emaWarmup());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the text encoder of " + run.root() + ": " + e.getMessage(), e);
        }
    }

    /**
     * For the "next:" hint of a text-to-image run: the first prompt of the grid's prompt file beside {@code grid} (a
     * caption of the data), or a generic one without a grid; null for a run without text.
     */
    public static String examplePrompt(RunDir run, Path grid) {
        if (!Files.isRegularFile(run.root().resolve(DIR).resolve(SPEC))) return null;
        Path prompts = grid == null ? null : grid.resolveSibling(grid.getFileName().toString().replaceFirst("\\.png$", ".txt"));
        try {
            if (prompts != null && Files.isRegularFile(prompts))
                for (String line : Files.readAllLines(prompts)) if (!line.isBlank() && !line.startsWith("#")) return line;
        } catch (IOException e) {
            // the hint then falls back to a generic prompt
        }
        return "a picture";
    }

    public Spec spec() { return spec; }
    public ClipTextEncoder encoder() { return encoder; }
    public int contextDim() { return encoder.contextDim(); }
    public List<Parameter> parameters() { return encoder.model().parameters(); }

    /** The training conditioning: each caption replaced by the empty prompt with probability captionDropout (draws from gen). */
    public Conditioning training(List<String> captions, Generator gen) {
        if (captions == null) throw new IllegalArgumentException("a text-to-image run needs captioned data (the built-in shapes, or image folders with captions)");
        List<String> kept = new ArrayList<>(captions.size());
        for (String c : captions) kept.add(spec.captionDropout() > 0 && gen.nextDouble() < spec.captionDropout() ? "" : c);
        return Conditioning.of(NetworkDenoiser.CONTEXT, encoder.encode(kept));
    }

    /**
     * The prompts of images [from, from + n) of {@code total}: the prompt list spread evenly over them, in order (one row
     * each when the total is a multiple of the list), as {@code diffuse sample --prompt A --prompt B} draws them.
     */
    public static List<String> spread(List<String> prompts, int from, int n, int total) {
        List<String> p = new ArrayList<>(n);
        for (int i = from; i < from + n; i++) p.add(prompts.get((int) ((long) i * prompts.size() / total)));
        return p;
    }

    /** The conditioning for prompts at sampling time (no gradients recorded). */
    public Conditioning prompts(List<String> prompts) {
        try (var g = GradMode.off()) { return Conditioning.of(NetworkDenoiser.CONTEXT, encoder.encode(prompts)); }
    }

    /**
     * Classifier-free guidance at scale w towards the prompts in the conditioning, away from {@code negative} (the empty
     * prompt, what caption dropout trained as "unconditional", unless a negative prompt is given).
     */
    public Denoiser guided(Denoiser model, double w, String negative) {
        if (w == 1) return model;
        return new ClassifierFreeGuidance(model, cond -> {
            int n = cond.get(NetworkDenoiser.CONTEXT).shape(0);
            return prompts(Collections.nCopies(n, negative == null ? "" : negative));
        }, w);
    }

    public void updateEma() { ema.update(encoder.model()); }

    /** Runs with the EMA weights in the encoder until closed. */
    public Ema.Scope emaWeights() { return ema.swapInto(encoder.model()); }

    /** Writes the encoder's weights (prefix "model.") and EMA state (prefix "ema.") into a checkpoint folder. */
    public void save(Path checkpointDir, Map<String, String> meta) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>(StateDicts.withPrefix("model.", encoder.model().stateDict()));
        all.putAll(StateDicts.withPrefix("ema.", ema.stateDict()));
        StateDicts.save(checkpointDir.resolve(WEIGHTS), all, meta);
    }

    /** Restores what {@link #save} wrote (training resumes exactly). */
    public void restore(Path checkpointDir) throws IOException {
        Map<String, Tensor> all = StateDicts.load(checkpointDir.resolve(WEIGHTS));
        Device device = encoder.model().parameters().getFirst().device();
        encoder.model().loadStateDict(StateDicts.floatsTo(device, StateDicts.stripPrefix("model.", all)), true);
        ema.loadStateDict(StateDicts.floatsTo(device, StateDicts.stripPrefix("ema.", all)));
    }

    /** Loads a checkpoint's EMA weights into the encoder, for sampling. */
    public void loadEma(Path checkpointDir) throws IOException {
        restore(checkpointDir);
        ema.copyTo(encoder.model());
        encoder.model().eval();
    }

    /**
     * The prompts of a training grid: for a labelled dataset the first caption of each class (one per shape for the
     * built-in shapes), otherwise {@code rows} captions spread evenly over the data (an image folder sorted by file
     * name keeps similar images together, so its first captions would say nearly the same thing).
     */
    public static List<String> gridPrompts(dev.diffusion4j.data.ImageDataset data, int rows) {
        List<String> p = new ArrayList<>();
        int k = data.numClasses();
        if (k <= 0) {
            for (int j = 0; j < rows && j < data.size(); j++) {
                String c = data.caption((int) ((long) j * data.size() / Math.min(rows, data.size())));
                if (c != null) p.add(c);
            }
            return p;
        }
        boolean[] seen = new boolean[k];
        for (int i = 0; i < data.size() && p.size() < k; i++) {
            int y = data.label(i);
            if (y < 0 || y >= k || seen[y]) continue;
            seen[y] = true;
            if (data.caption(i) != null) p.add(data.caption(i));
        }
        return p;
    }
}
