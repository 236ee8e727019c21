package dev.diffusion4j.data;

/**
 * A tiny in-memory dataset for loader tests: image i is 1x2x3 with pixel p = (i * 6 + p) / 1000
 * (left-right asymmetric, so flips show), label i % 3. It can be told to fail at one index.
 */
final class CountingDataset implements ImageDataset {
    private final int n;
    private final int failAt;
    private final RuntimeException failure;

    CountingDataset(int n) {
        this(n, -1, null);
    }

    CountingDataset(int n, int failAt, RuntimeException failure) {
        this.n = n;
        this.failAt = failAt;
        this.failure = failure;
    }

    /** Which index an image came from, read back from its first pixel (unflipped) or third (flipped). */
    static int indexOf(float[] images, int off) {
        float first = images[off], third = images[off + 2];
        return Math.round(Math.min(first, third) * 1000) / 6;
    }

    @Override public int size() { return n; }
    @Override public int channels() { return 1; }
    @Override public int height() { return 2; }
    @Override public int width() { return 3; }
    @Override public int numClasses() { return 3; }
    @Override public int label(int index) { return index % 3; }
    @Override public String describe() { return "counting dataset of " + n; }

    @Override
    public void load(int index, float[] dst, int dstOff) {
        if (index == failAt) throw failure;
        for (int p = 0; p < 6; p++) dst[dstOff + p] = (index * 6 + p) / 1000f;
    }
}
