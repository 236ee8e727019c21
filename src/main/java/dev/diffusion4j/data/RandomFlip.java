package dev.diffusion4j.data;

/** Mirrors an image left-right with probability {@code p} (the usual diffusion augmentation). */
public final class RandomFlip implements Transform {
    private final double p;

    public RandomFlip() {
        this(0.5);
    }

    public RandomFlip(double p) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("flip probability must be in [0, 1]: " + p);
        this.p = p;
    }

    @Override
    public void apply(float[] image, int off, int c, int h, int w, SplitMix64 rng) {
        if (rng.nextDouble() < p) flip(image, off, c, h, w);
    }

    /** Mirrors every row of every channel. */
    public static void flip(float[] image, int off, int c, int h, int w) {
        for (int row = 0; row < c * h; row++) {
            int a = off + row * w, b = a + w - 1;
            while (a < b) {
                float t = image[a];
                image[a++] = image[b];
                image[b--] = t;
            }
        }
    }
}
