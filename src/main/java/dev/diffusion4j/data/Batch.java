package dev.diffusion4j.data;

/**
 * {@code n} images as NCHW floats in [-1, 1], their labels (-1 where unlabeled) and their captions (null when the data
 * has none). The arrays belong to the receiver: the loader never reuses them.
 */
public record Batch(float[] images, int[] labels, java.util.List<String> captions, int n, int c, int h, int w) {
    public Batch {
        if (images.length != n * c * h * w || labels.length != n || (captions != null && captions.size() != n)) {
            throw new IllegalArgumentException("batch arrays do not match n=" + n + ", c=" + c + ", h=" + h
                    + ", w=" + w + ": images " + images.length + ", labels " + labels.length + (captions != null ? ", captions " + captions.size() : ""));
        }
    }

    /** A batch without captions. */
    public Batch(float[] images, int[] labels, int n, int c, int h, int w) { this(images, labels, null, n, c, h, w); }

    /** Floats per image. */
    public int imageLength() {
        return c * h * w;
    }
}
