package dev.diffusion4j.engine.cuda;

/** A cuDNN handle bound to the context's stream. */
public final class Cudnn implements AutoCloseable {
    private final CudaContext context;
    private final long handle;
    private boolean closed;

    public Cudnn(CudaContext context) {
        this.context = context;
        context.makeCurrent();
        this.handle = CudnnApi.create();
        CudnnApi.setStream(handle, context.stream());
    }

    /** The loaded cuDNN's version, e.g. 91000 for 9.10.0 (no handle needed). */
    public static long version() {
        return CudnnApi.version();
    }

    public CudaContext context() {
        return context;
    }

    long handle() {
        if (closed) throw new IllegalStateException("cuDNN handle used after close()");
        context.makeCurrent();
        return handle;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        context.makeCurrent();
        CudnnApi.destroy(handle);
    }
}
