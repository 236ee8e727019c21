package dev.diffusion4j.engine.cuda;

/** A launch dimension (grid in blocks, or block in threads). */
public record Dim3(int x, int y, int z) {
    public Dim3 {
        if (x < 1 || y < 1 || z < 1) throw new IllegalArgumentException("launch dimensions must be >= 1: " + this);
    }

    public static Dim3 of(int x) {
        return new Dim3(x, 1, 1);
    }

    public static Dim3 of(int x, int y) {
        return new Dim3(x, y, 1);
    }

    public static Dim3 of(int x, int y, int z) {
        return new Dim3(x, y, z);
    }

    /** Enough blocks of {@code blockSize} threads to cover {@code n} elements, one per thread. */
    public static Dim3 blocksFor(long n, int blockSize) {
        long blocks = Math.max(1, (n + blockSize - 1) / blockSize);
        if (blocks > Integer.MAX_VALUE) throw new IllegalArgumentException(n + " elements need too many blocks: use a grid-stride loop");
        return of((int) blocks);
    }

    @Override
    public String toString() {
        return "(" + x + "," + y + "," + z + ")";
    }
}
