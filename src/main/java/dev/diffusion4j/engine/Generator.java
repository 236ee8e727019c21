package dev.diffusion4j.engine;

/**
 * A random stream: a seed plus an offset into Philox's counter space. Each draw takes the next counters, so the
 * state is two longs that checkpoints save and restore exactly (and that a CUDA backend reproduces).
 */
public final class Generator {
    private final long seed;
    private long offset;

    public Generator(long seed) { this(seed, 0); }
    public Generator(long seed, long offset) { this.seed = seed; this.offset = offset; }

    public long seed() { return seed; }
    public long offset() { return offset; }
    public void setOffset(long offset) { this.offset = offset; }

    /** Reserves {@code counters} counters and returns the first (inside a graph recording, see {@link GraphRandom}). */
    public long advance(long counters) {
        long start = offset;
        offset += counters;
        GraphRandom.advanced(this, start);
        return start;
    }

    /** An independent stream derived from this one (different key), e.g. one per data-loader worker. */
    public Generator fork(long salt) {
        int[] b = new int[4];
        Philox.block(seed ^ 0x5DEECE66DL, salt, b);
        return new Generator(((long) b[0] << 32) ^ (b[1] & 0xFFFFFFFFL));
    }

    /** A single uniform double in [0,1) (host-side draws such as shuffles). */
    public double nextDouble() {
        int[] b = new int[4];
        Philox.block(seed, advance(1), b);
        return ((((long) (b[0] >>> 8)) << 29) ^ (b[1] >>> 3)) * 0x1.0p-53;
    }

    public int nextInt(int bound) { return (int) Math.floor(nextDouble() * bound); }
}
