package dev.diffusion4j.engine.cuda;

import java.lang.foreign.MemorySegment;

/** Page-locked host memory from cuMemAllocHost; {@link #close()} frees it. */
public final class PinnedBuffer implements AutoCloseable {
    private final MemorySegment segment;
    private boolean closed;

    PinnedBuffer(MemorySegment segment) {
        this.segment = segment;
    }

    public MemorySegment segment() {
        if (closed) throw new IllegalStateException("pinned buffer used after close()");
        return segment;
    }

    public long bytes() {
        return segment.byteSize();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        DriverApi.memFreeHost(segment);
    }
}
