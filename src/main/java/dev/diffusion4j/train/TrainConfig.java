package dev.diffusion4j.train;

import dev.diffusion4j.engine.Precision;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.ModelConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that defines a training run; written to the run folder as config.json and read back on resume,
 * by {@code diffuse sample} and by {@code diffuse eval}.
 *
 * @param data            dataset spec (shapes, a folder of images, IDX or CIFAR-10 files; see Datasets.open)
 * @param flip            random horizontal flips
 * @param classConditional train with class labels (and label dropout for classifier-free guidance)
 * @param labelDropout    probability of replacing a label by the "no class" label
 * @param steps           optimizer steps in total
 * @param logEvery        steps between metrics lines
 * @param sampleEvery     steps between EMA sample grids
 * @param checkpointEvery steps between checkpoints (one is always written at the end)
 * @param keepCheckpoints how many recent checkpoints stay on disk
 * @param sample          what the grids (and {@code diffuse sample} by default) use
 */
@JsonPropertyOrder({"data", "flip", "class_conditional", "label_dropout", "steps", "seed", "device", "precision", "log_every",
    "sample_every", "checkpoint_every", "keep_checkpoints"}) // scalars before the sections, as config.json has always listed them
public record TrainConfig(String data, @JsonProperty(defaultValue = "true") boolean flip,
                          @JsonProperty(defaultValue = "false") boolean classConditional,
                          @JsonProperty(defaultValue = Defaults.LABEL_DROPOUT) double labelDropout, ModelConfig model,
                          DiffusionConfig diffusion, OptimConfig optim, long steps, @JsonProperty(defaultValue = Defaults.SEED) long seed,
                          @JsonProperty(defaultValue = "cpu") String device,
                          @JsonProperty(defaultValue = "fp32") Precision precision, // configs from before --precision
                          @JsonProperty(defaultValue = Defaults.LOG_EVERY) int logEvery, @JsonProperty(defaultValue = Defaults.SAMPLE_EVERY) int sampleEvery,
                          @JsonProperty(defaultValue = Defaults.CHECKPOINT_EVERY) int checkpointEvery, @JsonProperty(defaultValue = Defaults.KEEP_CHECKPOINTS) int keepCheckpoints,
                          @JsonProperty(defaultValue = "{}") SampleConfig sample,
                          @JsonProperty(defaultValue = "{}") dev.diffusion4j.train.autoencoder.LatentSpace latent,
                          @JsonProperty(defaultValue = "white") String background) {
    /** The value of config.json's "format" key: what this reader understands. */
    public static final String FORMAT = "diffusion4j-run/1";

    public TrainConfig {
        if (steps < 1) throw new IllegalArgumentException("training steps must be >= 1, got " + steps);
        if (logEvery < 1 || sampleEvery < 1 || checkpointEvery < 1)
            throw new IllegalArgumentException("log/sample/checkpoint intervals must be >= 1");
        if (keepCheckpoints < 1) throw new IllegalArgumentException("keep at least one checkpoint");
        diffusion.validate();
        if (diffusion.learnedVariance() != model.learnSigma())
            throw new IllegalArgumentException("a learned variance needs a model with doubled output channels (learn_sigma) and vice versa");
        if (classConditional && model.numClasses() < 1)
            throw new IllegalArgumentException("class-conditional training needs a model with num_classes > 0");
    }

    /** A pixel-space run (no autoencoder). */
    public TrainConfig(String data, boolean flip, boolean classConditional, double labelDropout, ModelConfig model, DiffusionConfig diffusion,
                       OptimConfig optim, long steps, long seed, String device, Precision precision, int logEvery, int sampleEvery,
                       int checkpointEvery, int keepCheckpoints, SampleConfig sample) {
        this(data, flip, classConditional, labelDropout, model, diffusion, optim, steps, seed, device, precision, logEvery, sampleEvery,
                checkpointEvery, keepCheckpoints, sample, dev.diffusion4j.train.autoencoder.LatentSpace.PIXELS, dev.diffusion4j.data.Background.WHITE);
    }

    /** config.json's content: "format" first, then the fields ("latent" only for latent-diffusion runs). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.putAll(ConfigJson.toMap(this));
        if (!latent.isLatent()) m.remove("latent");
        if (background.equals(dev.diffusion4j.data.Background.WHITE)) m.remove("background");
        return m;
    }

    /** Binds a parsed config.json (see {@link #read} for what is checked). */
    public static TrainConfig fromJson(Map<String, Object> m) {
        return fromJson(m, "run config");
    }

    /**
     * Reads a run's config.json strictly: unknown, duplicate or mistyped keys and a missing section are refused,
     * naming the file and the key; keys that older versions did not write take their defaults.
     */
    public static TrainConfig read(Path file) {
        return fromJson(ConfigJson.readObject(file), file.toString());
    }

    /** Writes config.json atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, Json.writePretty(toJson()) + "\n");
    }

    private static TrainConfig fromJson(Map<String, Object> m, String source) {
        if (!FORMAT.equals(m.get("format")))
            throw new ConfigException(source, "not a diffusion4j run config (format " + (m.containsKey("format") ? "'" + m.get("format") + "'" : "missing") + ", expected '" + FORMAT + "')");
        Map<String, Object> fields = new LinkedHashMap<>(m);
        fields.remove("format");
        if (fields.get("model") instanceof Map<?, ?> model) {   // keys left out take the model family's defaults, as diffuse train's flags do
            @SuppressWarnings("unchecked") Map<String, Object> mm = (Map<String, Object>) model;
            ModelConfig family = null;
            try {
                family = ConfigJson.bind(mm, ModelConfig.class, source);
            } catch (RuntimeException bad) {
                // the whole-file binding below names the faulty key with its section
            }
            if (family != null) fields = TrainDefaults.completed(fields, family);
        }
        return ConfigJson.bind(fields, TrainConfig.class, source);
    }

    /** The same run with another step budget (e.g. a resumed run that trains longer). */
    public TrainConfig withSteps(long s) {
        return new TrainConfig(data, flip, classConditional, labelDropout, model, diffusion, optim, s, seed, device, precision, logEvery,
                sampleEvery, checkpointEvery, keepCheckpoints, sample, latent, background);
    }

    public TrainConfig withDevice(String d) {
        return new TrainConfig(data, flip, classConditional, labelDropout, model, diffusion, optim, steps, seed, d, precision, logEvery,
                sampleEvery, checkpointEvery, keepCheckpoints, sample, latent, background);
    }
}
