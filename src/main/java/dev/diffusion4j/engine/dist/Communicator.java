package dev.diffusion4j.engine.dist;

import dev.diffusion4j.engine.Tensor;

/**
 * One rank's handle on a group of ranks that run the same program on different data (data parallelism). Every rank
 * calls the same collectives in the same order; a collective returns once every rank has reached it. Implemented over
 * NCCL for CUDA tensors and in-process for simulated CPU ranks ({@link LocalGroup}).
 */
public interface Communicator extends AutoCloseable {
    int rank();
    int worldSize();

    /** The element-wise sum of {@code t} over all ranks (same shape and dtype on every rank), as a new tensor on t's device. */
    Tensor allReduceSum(Tensor t);

    /** Rank {@code root}'s {@code t} on every rank (same shape and dtype everywhere); the root gets its own values back. */
    Tensor broadcast(Tensor t, int root);

    /** Returns once every rank has called it. */
    void barrier();

    /** Ends this rank's membership; a group whose rank failed is aborted instead ({@link LocalGroup#abort}). */
    @Override void close();
}
