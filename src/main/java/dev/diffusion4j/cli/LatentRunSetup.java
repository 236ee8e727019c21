package dev.diffusion4j.cli;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.train.autoencoder.LatentCache;
import dev.diffusion4j.train.autoencoder.LatentDecoder;
import dev.diffusion4j.train.autoencoder.LatentSource;
import dev.diffusion4j.train.autoencoder.LatentSpace;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/** The CLI side of latent diffusion ({@code train --autoencoder}): encoding with a progress bar, the scale, the checks. */
final class LatentRunSetup {
    /** The latent dataset a run trains on and where it lives. */
    record Prepared(ImageDataset data, LatentSpace space) {}

    private LatentRunSetup() {}

    /**
     * A new run: encodes (or reuses) the latents of {@code dataSpec} and picks the scale; the model must fit the latent shape.
     * {@code checkPixels} may refuse the pixel images before any encoding (e.g. uncaptioned data for a text-to-image run).
     */
    static Prepared prepare(Path autoencoder, String dataSpec, int imageSize, String deviceName, ModelConfig preset, String scaleMode,
                            java.util.function.Consumer<ImageDataset> checkPixels, PrintWriter out) {
        LatentSource src = LatentSource.open(autoencoder, dataSpec, imageSize, "train", Device.parse(deviceName), w -> out.println("warning: " + w));
        checkPixels.accept(src.pixels());
        LatentCache.Latents lat = latents(src, out);
        checkModelFits(preset, lat.h());
        double scale = src.scaleFor(lat, scaleMode);
        boolean fromConfig = scaleMode.equals("config") && Double.isFinite(src.autoencoder().scalingFactor()) && src.autoencoder().scalingFactor() > 0;
        out.printf(Locale.ROOT, "latent scale %.6g (%s)%n", scale, fromConfig ? "the autoencoder's scaling factor"
                : scaleMode.equals("std") || scaleMode.equals("config") ? "1 / std of the encoded latents" : "--latent-scale");
        return new Prepared(src.dataset(lat, scale), src.space(scale));
    }

    /** A resumed run: the same autoencoder weights (or a clear refusal), then the cached latents with the saved scale. */
    static ImageDataset resume(LatentSpace space, String dataSpec, String deviceName, PrintWriter out) {
        LatentSource src = LatentSource.open(Path.of(space.autoencoder()), dataSpec, space.imageSize(), "train", Device.parse(deviceName),
                w -> out.println("warning: " + w));
        src.requireSameAutoencoder(space);
        return src.dataset(latents(src, out), space.scale());
    }

    /** Data for eval: the latents of {@code dataSpec}'s {@code split}, scaled as the run was. */
    static ImageDataset evaluation(LatentSpace space, String dataSpec, String split, Device device, PrintWriter out) {
        LatentSource src = LatentSource.open(Path.of(space.autoencoder()), dataSpec, space.imageSize(), split, device, w -> out.println("warning: " + w));
        src.requireSameAutoencoder(space);
        return src.dataset(latents(src, out), space.scale());
    }

    /** Sample grids of a latent run are decoded to pixels. */
    static void decodeGrids(Trainer trainer, LatentSpace space, String deviceName) {
        if (space.isLatent()) trainer.decodeGridsWith(LatentDecoder.open(space, Device.parse(deviceName))::decode);
    }

    private static LatentCache.Latents latents(LatentSource src, PrintWriter out) {
        if (src.cached()) {
            LatentCache.Latents l = src.latents(n -> {});
            out.println("latents: reusing " + l.dir());
            return l;
        }
        out.println("encoding " + src.pixels().describe() + " with the autoencoder " + src.run().root() + " (once; cached under " + src.cacheRoot() + ")");
        out.flush();
        try (ProgressBar bar = new ProgressBar(System.out, "encode", src.pixels().size(), "img")) {
            return src.latents(bar::step);
        }
    }

    private static void checkModelFits(ModelConfig preset, int side) {
        int multiple = preset instanceof UNetConfig u ? 1 << (u.channelMult().length - 1) : ((DiTConfig) preset).patchSize();
        if (side % multiple != 0)
            throw new IllegalArgumentException("the latents are " + side + "x" + side + ", but the model needs a side that is a multiple of " + multiple
                    + "; choose another --image-size (latent side = image size / the autoencoder's downsampling factor) or another --preset");
    }
}
