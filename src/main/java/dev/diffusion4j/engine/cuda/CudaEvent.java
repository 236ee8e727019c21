package dev.diffusion4j.engine.cuda;

/** A CUDA event on the context's stream, for timing device work (milliseconds, ~0.5 us resolution). */
public final class CudaEvent implements AutoCloseable {
    private final CudaContext context;
    private final long event;
    private boolean closed;

    CudaEvent(CudaContext context, long event) {
        this.context = context;
        this.event = event;
    }

    /** Marks the point in the stream reached by work queued so far. */
    public CudaEvent record() {
        context.makeCurrent();
        DriverApi.eventRecord(event, context.stream());
        return this;
    }

    public void synchronize() {
        context.requireNotCapturing("a wait for an event");
        context.makeCurrent();
        DriverApi.eventSynchronize(event);
    }

    /** Device time from {@code start} to this event; waits for this event first. */
    public float millisSince(CudaEvent start) {
        synchronize();
        return DriverApi.eventElapsedMillis(start.event, event);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        context.makeCurrent();
        DriverApi.eventDestroy(event);
    }
}
