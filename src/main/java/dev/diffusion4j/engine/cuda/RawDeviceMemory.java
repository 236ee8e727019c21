package dev.diffusion4j.engine.cuda;

/** The device-memory primitives the caching allocator sits on; a fake stands in for tests. */
interface RawDeviceMemory {
    /** A fresh block of exactly {@code bytes}, or 0 where the device is out of memory. */
    long tryAllocate(long bytes);

    void free(long address);

    MemoryInfo memoryInfo();

    /** Waits for all queued work, so that freed blocks are no longer in use. */
    void synchronize();
}
