package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.data.ImageDataset;
import java.util.function.IntFunction;

/**
 * Cached latents times the latent scale, served as the "images" a diffusion model trains on. Labels come from the cache;
 * captions from the pixel images' dataset (latent i encodes its image i), so editing captions needs no new encoding.
 */
public final class LatentDataset implements ImageDataset {
    private final LatentCache.Latents latents;
    private final float scale;
    private final int numClasses;
    private final String source;
    private final IntFunction<String> captions;

    /** Without captions. */
    public LatentDataset(LatentCache.Latents latents, double scale, int numClasses, String source) {
        this(latents, scale, numClasses, source, i -> null);
    }

    /** @param captions the caption of image i (null when uncaptioned) */
    public LatentDataset(LatentCache.Latents latents, double scale, int numClasses, String source, IntFunction<String> captions) {
        this.latents = latents;
        this.captions = captions;
        this.scale = (float) scale;
        this.numClasses = numClasses;
        this.source = source;
    }

    @Override public int size() { return latents.n(); }
    @Override public int channels() { return latents.c(); }
    @Override public int height() { return latents.h(); }
    @Override public int width() { return latents.w(); }
    @Override public int numClasses() { return numClasses; }

    @Override public void load(int index, float[] dst, int dstOff) {
        int len = imageLength();
        float[] v = latents.values();
        for (int i = 0; i < len; i++) dst[dstOff + i] = v[index * len + i] * scale;
    }

    @Override public int label(int index) { return latents.labels()[index]; }

    @Override public String caption(int index) {
        java.util.Objects.checkIndex(index, latents.n());
        return captions.apply(index);
    }

    @Override public String describe() {
        return String.format(java.util.Locale.ROOT, "latents of %s (%d x %dx%d, scale %.5g)", source, channels(), height(), width(), scale);
    }
}
