package dev.diffusion4j.engine.cuda;

/** The device had no room for an allocation, even after the allocator emptied its cache. */
public final class CudaOutOfMemoryException extends CudaException {
    private final long requestedBytes;

    public CudaOutOfMemoryException(String message, long requestedBytes, Throwable cause) {
        super(message, 2 /* CUDA_ERROR_OUT_OF_MEMORY */, cause);
        this.requestedBytes = requestedBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }
}
