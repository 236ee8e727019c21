package dev.diffusion4j.data;

/**
 * {@code n} images as NCHW floats in [-1, 1] and their labels (-1 where unlabeled). The arrays
 * belong to the receiver: the loader never reuses them.
 */
public record Batch(float[] images, int[] labels, int n, int c, int h, int w) {
    public Batch {
        if (images.length != n * c * h * w || labels.length != n) {
            throw new IllegalArgumentException("batch arrays do not match n=" + n + ", c=" + c + ", h=" + h
                    + ", w=" + w + ": images " + images.length + ", labels " + labels.length);
        }
    }

    /** Floats per image. */
    public int imageLength() {
        return c * h * w;
    }
}
