package dev.diffusion4j.train.parallel;

/**
 * Which samples of a global batch one rank trains on: rank r of W takes samples [r*B/W, (r+1)*B/W). Every rank reads
 * the same global batch order, so the samples of a step, and the step itself, do not depend on W.
 */
public record BatchShard(int rank, int worldSize) {
    public BatchShard {
        if (worldSize < 1) throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
        if (rank < 0 || rank >= worldSize) throw new IllegalArgumentException("rank " + rank + " outside 0.." + (worldSize - 1));
    }

    /** Refuses a global batch the world size does not divide (the shards would differ in size and the mean would tilt). */
    public static void checkDivides(int globalBatch, int worldSize) {
        if (globalBatch % worldSize != 0)
            throw new IllegalArgumentException("the global batch of " + globalBatch + " does not split evenly over " + worldSize
                    + " ranks; choose --batch-size as a multiple of " + worldSize + " (each rank trains on batch/" + worldSize + ")");
    }

    public int start(int globalBatch) { checkDivides(globalBatch, worldSize); return rank * (globalBatch / worldSize); }
    public int end(int globalBatch) { return start(globalBatch) + globalBatch / worldSize; }
}
