package dev.diffusion4j.train.autoencoder;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What defines an autoencoder training run: config.json of {@code diffuse train-autoencoder}, read back on resume and
 * by {@code diffuse reconstruct} and latent-diffusion training.
 *
 * @param preset      the {@link AutoencoderFactory} name of the model
 * @param imageSize   the square side the data is resized to
 * @param gridCount   images whose input/reconstruction pairs the grids and the logged PSNR/SSIM use
 */
public record AutoencoderRunConfig(String data, String preset, int imageSize, @JsonProperty(defaultValue = "true") boolean flip,
                                   long steps, int batchSize, double lr, @JsonProperty(defaultValue = "0.999") double emaDecay,
                                   @JsonProperty(defaultValue = "0") double gradClip, @JsonProperty(defaultValue = "0") long seed,
                                   @JsonProperty(defaultValue = "cpu") String device, @JsonProperty(defaultValue = "fp32") Precision precision,
                                   @JsonProperty(defaultValue = "10") int logEvery, @JsonProperty(defaultValue = "500") int sampleEvery,
                                   @JsonProperty(defaultValue = "500") int checkpointEvery, @JsonProperty(defaultValue = "2") int keepCheckpoints,
                                   @JsonProperty(defaultValue = "8") int gridCount, AutoencoderLossConfig loss,
                                   @JsonProperty(defaultValue = "white") String background) {
    public static final String FORMAT = "diffusion4j-autoencoder-run/1";

    public AutoencoderRunConfig {
        if (steps < 1) throw new IllegalArgumentException("training steps must be >= 1, got " + steps);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        if (!(emaDecay >= 0 && emaDecay < 1)) throw new IllegalArgumentException("EMA decay must be in [0, 1), got " + emaDecay);
        if (!(gradClip >= 0)) throw new IllegalArgumentException("gradient clip must be >= 0, got " + gradClip);
        if (logEvery < 1 || sampleEvery < 1 || checkpointEvery < 1) throw new IllegalArgumentException("log/sample/checkpoint intervals must be >= 1");
        if (keepCheckpoints < 1) throw new IllegalArgumentException("keep at least one checkpoint");
        if (gridCount < 1) throw new IllegalArgumentException("grid count must be >= 1");
        dev.diffusion4j.data.Background.parse(background);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.putAll(ConfigJson.toMap(this));
        return m;
    }

    /** Whether a parsed config.json is an autoencoder run's. */
    public static boolean isAutoencoderRun(Map<String, Object> json) { return FORMAT.equals(json.get("format")); }

    /** Reads config.json strictly, naming the file and key of any problem. */
    public static AutoencoderRunConfig read(Path file) {
        Map<String, Object> m = ConfigJson.readObject(file);
        if (!isAutoencoderRun(m))
            throw new ConfigException(file.toString(), "not an autoencoder run (format " + m.get("format") + ", expected '" + FORMAT + "'); train one with diffuse train-autoencoder");
        Map<String, Object> fields = new LinkedHashMap<>(m);
        fields.remove("format");
        return ConfigJson.bind(fields, AutoencoderRunConfig.class, file.toString());
    }

    public AutoencoderRunConfig withSteps(long s) {
        return new AutoencoderRunConfig(data, preset, imageSize, flip, s, batchSize, lr, emaDecay, gradClip, seed, device, precision, logEvery,
                sampleEvery, checkpointEvery, keepCheckpoints, gridCount, loss, background);
    }

    public AutoencoderRunConfig withDevice(String d) {
        return new AutoencoderRunConfig(data, preset, imageSize, flip, steps, batchSize, lr, emaDecay, gradClip, seed, d, precision, logEvery,
                sampleEvery, checkpointEvery, keepCheckpoints, gridCount, loss, background);
    }
}
