package dev.diffusion4j.engine.cuda;

/**
 * A block of device memory from a {@link CudaAllocator}. {@link #close()} hands it back to the
 * allocator's cache (not to the driver); using it afterwards throws. Work queued on the context's
 * stream before the close may still read it: the allocator only reuses it for work queued later
 * on the same stream, which runs after.
 */
public final class DeviceBuffer implements AutoCloseable {
    /** Where a closed buffer's block goes: the allocator's cache, or the private pool of a captured CUDA graph. */
    interface Owner {
        void release(long address, long capacity);
    }

    private final Owner owner;
    private final long address;
    private final long bytes;
    private final long capacity;
    private volatile boolean closed;

    DeviceBuffer(Owner owner, long address, long bytes, long capacity) {
        this.owner = owner;
        this.address = address;
        this.bytes = bytes;
        this.capacity = capacity;
    }

    /** The device address; throws after {@link #close()}. */
    public long address() {
        if (closed) throw new IllegalStateException("device buffer of " + bytes + " bytes used after close()");
        return address;
    }

    public DevicePointer pointer() {
        return new DevicePointer(address());
    }

    /** A pointer {@code byteOffset} bytes into the buffer (bounds-checked). */
    public DevicePointer at(long byteOffset) {
        if (byteOffset < 0 || byteOffset > bytes) {
            throw new IndexOutOfBoundsException("offset " + byteOffset + " outside a buffer of " + bytes + " bytes");
        }
        return new DevicePointer(address() + byteOffset);
    }

    /** The size asked for. */
    public long bytes() {
        return bytes;
    }

    /** The size actually held (the allocator's size class, at least {@link #bytes()}). */
    public long capacity() {
        return capacity;
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        // one caller wins: an early release (CudaStorage.releaseNow) may race the cleaner for the same block
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        owner.release(address, capacity);
    }

    @Override
    public String toString() {
        return "DeviceBuffer[0x" + Long.toHexString(address) + ", " + bytes + " bytes" + (closed ? ", closed]" : "]");
    }
}
