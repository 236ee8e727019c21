package dev.diffusion4j.data;

/**
 * A tiny seeded generator (the SplitMix64 algorithm). Ours rather than java.util's so that
 * shuffles, augmentations and generated images stay identical across JDK versions, which
 * resumable training and reproducible demos rely on.
 */
public final class SplitMix64 {
    private static final long GAMMA = 0x9E3779B97F4A7C15L;
    private long state;

    public SplitMix64(long seed) {
        this.state = seed;
    }

    /** A generator for the stream named by {@code keys} (e.g. seed, epoch, sample). */
    public static SplitMix64 of(long... keys) {
        return new SplitMix64(mix(keys));
    }

    /** Hashes a sequence of keys into one well-spread seed; order matters. */
    public static long mix(long... keys) {
        long h = 0x6A09E667F3BCC909L;
        for (long k : keys) {
            h = finish(h ^ finish(k + GAMMA)) + GAMMA;
        }
        return finish(h);
    }

    public long nextLong() {
        return finish(state += GAMMA);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [lo, hi). */
    public double uniform(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    /** Uniform in [0, bound); multiply-shift, bias below bound / 2^32. */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive: " + bound);
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    public boolean nextBoolean() {
        return nextLong() < 0;
    }

    private static long finish(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
