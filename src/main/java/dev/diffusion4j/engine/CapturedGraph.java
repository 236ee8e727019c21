package dev.diffusion4j.engine;

/**
 * Device work recorded once (a CUDA graph) and replayed with one launch: the same kernels on the same memory, reading
 * whatever that memory holds at replay time. Closing it frees the memory its recording allocated.
 */
public interface CapturedGraph extends AutoCloseable {
    /** Queues one replay of the recorded work. */
    void replay();

    /** The number of operations recorded (kernels, copies, library calls' kernels). */
    long operations();

    @Override
    void close();
}
