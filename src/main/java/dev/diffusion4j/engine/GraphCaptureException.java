package dev.diffusion4j.engine;

/**
 * Work being recorded into a device graph asked for something a graph cannot replay: a value read back to the host,
 * a host array uploaded, a wait for the device, fresh random numbers. The recording is discarded; callers such as
 * {@link GraphedFunction} then run the work eagerly instead.
 */
public final class GraphCaptureException extends RuntimeException {
    public GraphCaptureException(String message) {
        super(message);
    }

    public GraphCaptureException(String message, Throwable cause) {
        super(message, cause);
    }
}
