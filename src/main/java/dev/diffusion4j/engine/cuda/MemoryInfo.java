package dev.diffusion4j.engine.cuda;

/** Free and total bytes of device memory, as the driver sees them (all processes). */
public record MemoryInfo(long freeBytes, long totalBytes) {}
