package dev.diffusion4j.train;

import dev.diffusion4j.models.UNet;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.metrics.ClassifierFeatures;
import dev.diffusion4j.metrics.EncoderFeatures;
import dev.diffusion4j.metrics.FeatureNetwork;
import dev.diffusion4j.metrics.PixelFeatures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens the feature network a user names with {@code --features}: {@code pixels} or {@code pixels:SIZE}, a folder written
 * by {@code diffuse train-features} (its classifier's penultimate layer), or a diffusion run folder (its U-Net encoder).
 */
public final class FeatureNetworks {
    public static final String HELP = "inception (pytorch-fid's FID Inception; inception:FILE for weights elsewhere), pixels (images"
            + " area-averaged to 8x8; pixels:SIZE for another size), a folder written by diffuse train-features, or a diffusion run"
            + " folder (its U-Net encoder); default: inception when its weights are found";

    /** What the options' default means: Inception when its weights are found, else a message naming the alternatives. */
    public static final String AUTO = "auto";

    private FeatureNetworks() {}

    /** @param channels the channels of the images to compare (pixel features keep them) */
    public static FeatureNetwork open(String spec, int channels, Device device) {
        String s = spec.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.equals("pixels") || lower.startsWith("pixels:")) return new PixelFeatures(pixelSize(s), channels);
        if (lower.equals(AUTO) || lower.startsWith("inception")) return InceptionWeights.open(inceptionFile(s), device);
        Path dir = Path.of(s);
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--features " + s + ": no such folder; give " + HELP);
        if (FeatureRun.isFeatureRun(dir)) {
            FeatureRun run = FeatureRun.open(dir);
            return new ClassifierFeatures(run.loadModel(device), dir.toString(), FeatureRun.sha256(run.modelFile()));
        }
        if (Files.isRegularFile(dir.resolve("config.json"))) {
            RunDir run = RunDir.open(dir);
            var ck = run.checkpoints().latest().orElseThrow(() ->
                    new IllegalArgumentException("--features " + s + ": the run has no checkpoint yet; train it first"));
            if (!(Trainer.loadEmaModel(run, ck.dir(), device) instanceof UNet unet))
                throw new IllegalArgumentException("--features " + s + ": only a U-Net run's encoder can serve as features (this run is a "
                        + run.config().model().arch() + ")");
            return new EncoderFeatures(unet, dir + "@step" + ck.step(),
                    FeatureRun.sha256(ck.dir().resolve("ema.safetensors")));
        }
        throw new IllegalArgumentException("--features " + s + " is neither a train-features run nor a diffusion run (no config.json); give " + HELP);
    }

    /** Checks a spec without loading anything, so bad options fail before work starts. */
    public static void check(String spec) {
        String s = spec.strip(), lower = s.toLowerCase(Locale.ROOT);
        if (lower.equals("pixels") || lower.startsWith("pixels:")) {
            pixelSize(s);
            return;
        }
        if (lower.equals(AUTO) || lower.startsWith("inception")) {
            InceptionWeights.check(inceptionFile(s));
            return;
        }
        Path dir = Path.of(s);
        if (!Files.isRegularFile(dir.resolve("config.json")))
            throw new IllegalArgumentException("--features " + s + " is not a run folder (no config.json); give " + HELP);
    }

    /** The weights file of {@code inception:FILE}, or the default location for {@code inception} and {@code auto}. */
    private static Path inceptionFile(String spec) {
        int colon = spec.indexOf(':');
        return colon < 0 ? InceptionWeights.defaultFile() : Path.of(spec.substring(colon + 1).strip());
    }

    private static int pixelSize(String s) {
        if (!s.contains(":")) return PixelFeatures.DEFAULT_SIZE;
        try {
            int n = Integer.parseInt(s.substring(s.indexOf(':') + 1).strip());
            if (n < 1 || n > 64) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--features " + s + ": write pixels or pixels:SIZE with SIZE from 1 to 64");
        }
    }
}
