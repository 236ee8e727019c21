package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.data.ImageDataset;

/** Cached latents times the latent scale, served as the "images" a diffusion model trains on (labels kept). */
public final class LatentDataset implements ImageDataset {
    private final LatentCache.Latents latents;
    private final float scale;
    private final int numClasses;
    private final String source;

    public LatentDataset(LatentCache.Latents latents, double scale, int numClasses, String source) {
        this.latents = latents;
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

    @Override public String describe() {
        return String.format(java.util.Locale.ROOT, "latents of %s (%d x %dx%d, scale %.5g)", source, channels(), height(), width(), scale);
    }
}
