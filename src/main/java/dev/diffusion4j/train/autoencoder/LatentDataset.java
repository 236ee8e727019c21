package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.data.ImageDataset;
import java.util.List;

/**
 * Cached latents times the latent scale, served as the "images" a diffusion model trains on. Labels come from the cache;
 * captions are copied from the pixel images' dataset when the run opens (latent i encodes its image i), so editing
 * captions needs no new encoding.
 */
public final class LatentDataset implements ImageDataset {
    private final LatentCache.Latents latents;
    private final float scale;
    private final int numClasses;
    private final String source;
    private final List<String> captions;   // null when uncaptioned

    /** Without captions. */
    public LatentDataset(LatentCache.Latents latents, double scale, int numClasses, String source) {
        this(latents, scale, numClasses, source, null);
    }

    /** @param captions the caption of each image (null when uncaptioned; an element may be null where one lacks a caption) */
    public LatentDataset(LatentCache.Latents latents, double scale, int numClasses, String source, List<String> captions) {
        if (captions != null && captions.size() != latents.n())
            throw new IllegalArgumentException(captions.size() + " captions for " + latents.n() + " latents");
        this.latents = latents;
        this.captions = captions == null ? null : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(captions));
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
        return captions == null ? null : captions.get(index);
    }

    @Override public String describe() {
        return String.format(java.util.Locale.ROOT, "latents of %s (%d x %dx%d, scale %.5g)", source, channels(), height(), width(), scale);
    }
}
