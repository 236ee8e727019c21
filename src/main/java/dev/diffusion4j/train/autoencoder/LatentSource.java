package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Pixel images and the trained autoencoder that turns them into the latents a latent-diffusion run trains on: opens
 * both (refusing, before any work, images the autoencoder cannot take), then serves the cached latents, scaled.
 */
public record LatentSource(AutoencoderSource run, Autoencoder autoencoder, ImageDataset pixels, String dataSpec, String weightsSha256, Device device) {
    public static final int ENCODE_BATCH = 64;

    /** @param imageSize the pixel side (0: the autoencoder run's) */
    public static LatentSource open(Path autoencoderRun, String dataSpec, int imageSize, String split, Device device, Consumer<String> warnings) {
        AutoencoderSource run = AutoencoderSource.open(autoencoderRun);
        Autoencoder ae = run.load(device);
        int size = imageSize > 0 ? imageSize : run.imageSize();
        ImageDataset pixels = Datasets.open(dataSpec, ae.imageChannels(), size, split, warnings);
        AutoencoderData.check(ae, pixels);
        return new LatentSource(run, ae, pixels, dataSpec, run.weightsHash(), device);
    }

    /** Refuses an autoencoder whose weights differ from the ones a run's latents were made with. */
    public void requireSameAutoencoder(LatentSpace space) {
        if (!weightsSha256.equals(space.weightsSha256()))
            throw new IllegalArgumentException("the run was trained on latents of " + space.autoencoder() + " with weights "
                    + space.weightsSha256().substring(0, Math.min(12, space.weightsSha256().length())) + "..., but that autoencoder now has weights "
                    + weightsSha256.substring(0, 12) + "... (retrained or replaced); its latents would not match. Restore that autoencoder "
                    + "checkpoint, or train a new diffusion run on the new autoencoder");
    }

    public Path cacheRoot() { return run.root().resolve("latents"); }

    /** Whether the latents of these pixels are already on disk. */
    public boolean cached() {
        return Files.isRegularFile(cacheRoot().resolve(LatentCache.key(weightsSha256, dataSpec, pixels)).resolve("meta.json"));
    }

    public LatentCache.Latents latents(IntConsumer progress) {
        return LatentCache.load(cacheRoot(), weightsSha256, dataSpec, pixels, autoencoder, device, ENCODE_BATCH, progress);
    }

    /**
     * The scale of a new run by {@code mode}: "std", 1/std of the encoded latents (LDM's scale_by_std, right for an
     * autoencoder trained here, whose latents' spread the KL weight barely constrains); "config", the autoencoder's
     * scaling_factor (Stable Diffusion's 0.18215 for its VAE; falls back to std when it has none); or a positive number.
     */
    public double scaleFor(LatentCache.Latents latents, String mode) {
        if (mode.equals("config")) {
            double f = autoencoder.scalingFactor();
            if (Double.isFinite(f) && f > 0) return f;
        } else if (!mode.equals("std")) {
            return parseScale(mode);
        }
        if (!(latents.std() > 0)) throw new IllegalArgumentException("the latents of " + pixels.describe() + " are all equal (std 0); the autoencoder is not usable");
        return 1 / latents.std();
    }

    /** A fixed --latent-scale: std, config or a positive finite number; anything else is refused naming the option. */
    public static double parseScale(String mode) {
        if (mode.equals("std") || mode.equals("config")) return Double.NaN;
        try {
            double v = Double.parseDouble(mode);
            if (Double.isFinite(v) && v > 0) return v;
        } catch (NumberFormatException ignored) {
            // refused below
        }
        throw new IllegalArgumentException("--latent-scale " + mode + ": expected std, config or a positive number");
    }

    public LatentSpace space(double scale) {
        return new LatentSpace(run.root().toString(), weightsSha256, scale, pixels.height());
    }

    public LatentDataset dataset(LatentCache.Latents latents, double scale) {
        if (latents.n() != pixels.size()) throw new IllegalStateException("the latent cache " + latents.dir() + " holds " + latents.n()
                + " latents for " + pixels.size() + " images; delete it to encode afresh");
        // the captions are copied so that the pixel images (perhaps a GiB held in memory) need not stay reachable
        java.util.List<String> captions = new java.util.ArrayList<>(pixels.size());
        for (int i = 0; i < pixels.size(); i++) captions.add(pixels.caption(i));
        boolean none = captions.stream().allMatch(java.util.Objects::isNull);
        return new LatentDataset(latents, scale, pixels.numClasses(), pixels.describe(), none ? null : captions);
    }
}
