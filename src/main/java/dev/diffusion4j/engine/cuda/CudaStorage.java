package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Backend;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Storage;

/**
 * Device memory behind CUDA tensors: one block from the caching allocator. Tensors are dropped by
 * Java code without being closed, so the block goes back to the allocator when the storage becomes
 * unreachable (a {@link java.lang.ref.Cleaner} action registered by {@link DeviceMemory}).
 */
public final class CudaStorage extends Storage {
    private final CudaBackend backend;
    private final DeviceBuffer buffer;
    private final long address;

    CudaStorage(CudaBackend backend, DType dtype, int length, DeviceBuffer buffer) {
        super(dtype, length);
        this.backend = backend;
        this.buffer = buffer;
        this.address = buffer.address();
    }

    @Override public Backend backend() { return backend; }

    /** The device address of element 0. */
    public long address() { return address; }

    /** The device address of element {@code index}. */
    public long address(int index) { return address + (long) index * dtype().byteSize(); }

    /** Bytes held in the allocator for this storage (its size class). */
    long capacity() { return buffer.capacity(); }

    /** Returns the block to the allocator now (stream order keeps queued users safe); the cleaner's later close is a no-op. */
    boolean releaseNow() {
        try {
            if (buffer.isClosed()) return false;
            buffer.close();
            return true;
        } finally {
            java.lang.ref.Reference.reachabilityFence(this);   // no cleaner run for this storage before we are done
        }
    }
}
