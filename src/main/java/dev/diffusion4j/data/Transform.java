package dev.diffusion4j.data;

/**
 * An in-place augmentation of one CHW image. The loader hands each sample its own generator,
 * derived from (seed, epoch, slot), so augmentations repeat exactly when a run is resumed.
 */
@FunctionalInterface
public interface Transform {
    void apply(float[] image, int off, int c, int h, int w, SplitMix64 rng);
}
