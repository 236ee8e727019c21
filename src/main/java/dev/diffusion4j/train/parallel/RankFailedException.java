package dev.diffusion4j.train.parallel;

/** One rank of a data-parallel run failed; every rank stopped. The message names the rank and the cause. */
public final class RankFailedException extends IllegalStateException {
    private final int rank;

    public RankFailedException(int rank, String message, Throwable cause) {
        super(message, cause);
        this.rank = rank;
    }

    public int rank() { return rank; }
}
