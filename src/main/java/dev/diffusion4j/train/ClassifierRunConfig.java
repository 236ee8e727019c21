package dev.diffusion4j.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.models.NoisyClassifierConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What defines a noisy-classifier run ({@code diffuse train-classifier}), its config.json: the classifier, the
 * diffusion whose forward process makes its noisy inputs (the schedule of the run it will guide), and the optimisation.
 *
 * @param guides the diffusion run whose schedule was taken, or "" when none was named
 */
public record ClassifierRunConfig(String data, @JsonProperty(defaultValue = "") String guides, @JsonProperty(defaultValue = "true") boolean flip,
                                  NoisyClassifierConfig model, DiffusionConfig diffusion, long steps, int batchSize, double lr,
                                  @JsonProperty(defaultValue = "0.0") double weightDecay, @JsonProperty(defaultValue = "0") long seed,
                                  @JsonProperty(defaultValue = "cpu") String device, @JsonProperty(defaultValue = "10") int logEvery,
                                  @JsonProperty(defaultValue = "500") int checkpointEvery, @JsonProperty(defaultValue = "2") int keepCheckpoints) {
    public static final String FORMAT = "diffusion4j-classifier/1";

    public ClassifierRunConfig {
        if (steps < 1) throw new IllegalArgumentException("training steps must be >= 1, got " + steps);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        if (logEvery < 1 || checkpointEvery < 1 || keepCheckpoints < 1)
            throw new IllegalArgumentException("log/checkpoint intervals and kept checkpoints must be >= 1");
        diffusion.validate();
    }

    public ClassifierRunConfig withSteps(long s) {
        return new ClassifierRunConfig(data, guides, flip, model, diffusion, s, batchSize, lr, weightDecay, seed, device, logEvery, checkpointEvery, keepCheckpoints);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.putAll(ConfigJson.toMap(this));
        return m;
    }

    public static ClassifierRunConfig read(Path file) {
        Map<String, Object> m = ConfigJson.readObject(file);
        if (!FORMAT.equals(m.get("format")))
            throw new ConfigException(file.toString(), "not a classifier run config (format " + m.get("format") + ", expected '" + FORMAT + "')");
        Map<String, Object> fields = new LinkedHashMap<>(m);
        fields.remove("format");
        return ConfigJson.bind(fields, ClassifierRunConfig.class, file.toString());
    }
}
