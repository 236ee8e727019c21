package dev.diffusion4j.engine.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Copies between Java arrays and device memory through two page-locked staging buffers. Uploads
 * are queued without waiting for the device (a buffer is only refilled once the copy that last
 * used it is done, tracked by an event), so moving a batch to the GPU does not drain the stream;
 * downloads wait, as the caller needs the data. Large arrays go through in chunks.
 */
final class HostTransfer implements AutoCloseable {
    private static final long CHUNK = 16L << 20;

    private final CudaContext context;
    private final PinnedBuffer[] staging = new PinnedBuffer[2];
    private final CudaEvent[] done = new CudaEvent[2];
    private final boolean[] pending = new boolean[2];
    private int next;

    HostTransfer(CudaContext context) {
        this.context = context;
        for (int i = 0; i < 2; i++) {
            staging[i] = context.allocatePinned(CHUNK);
            done[i] = context.newEvent();
        }
    }

    /** Queues a copy of {@code bytes} bytes of the heap segment {@code src} to device address {@code dst}. */
    synchronized void upload(MemorySegment src, long dst, long bytes) {
        for (long pos = 0; pos < bytes; pos += CHUNK) {
            long len = Math.min(CHUNK, bytes - pos);
            int b = next;
            next = 1 - next;
            if (pending[b]) done[b].synchronize();
            MemorySegment pin = staging[b].segment();
            MemorySegment.copy(src, pos, pin, 0, len);
            context.copyToDeviceAsync(pin, dst + pos, len);
            done[b].record();
            pending[b] = true;
        }
    }

    /** Copies {@code bytes} bytes at device address {@code src} into the heap segment {@code dst}, waiting for all queued work. */
    synchronized void download(long src, MemorySegment dst, long bytes) {
        MemorySegment pin = staging[0].segment();
        for (long pos = 0; pos < bytes; pos += CHUNK) {
            long len = Math.min(CHUNK, bytes - pos);
            context.copyToHostAsync(src + pos, pin, len);
            context.synchronize();
            MemorySegment.copy(pin, 0, dst, pos, len);
        }
        pending[0] = false;
        if (bytes == 0) context.synchronize();
    }

    /** Reads one int from the device (waits for all queued work). */
    synchronized int readInt(long src) {
        MemorySegment pin = staging[1].segment();
        if (pending[1]) done[1].synchronize();
        pending[1] = false;
        context.copyToHostAsync(src, pin, 4);
        context.synchronize();
        return pin.get(ValueLayout.JAVA_INT, 0);
    }

    @Override public synchronized void close() {
        for (int i = 0; i < 2; i++) {
            done[i].close();
            staging[i].close();
        }
    }
}
