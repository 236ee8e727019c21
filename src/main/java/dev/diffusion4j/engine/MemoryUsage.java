package dev.diffusion4j.engine;

/**
 * A device's memory as its backend's allocator counts it: bytes held by live tensors now and at the peak so far, and
 * bytes reserved (live plus the allocator's cache), which is closer to what nvidia-smi shows.
 */
public record MemoryUsage(long allocatedBytes, long peakAllocatedBytes, long reservedBytes) {
    /** A backend that counts its device's memory (CUDA's caching allocator); the CPU backend keeps no count. */
    public interface Reporter {
        MemoryUsage memoryUsage();
    }
}
