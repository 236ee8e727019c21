package dev.diffusion4j.engine.cuda;

/** What the driver reports about one device. */
public record DeviceProperties(
        int index,
        String name,
        int computeMajor,
        int computeMinor,
        int multiprocessors,
        long totalMemoryBytes,
        int l2CacheBytes,
        int sharedMemoryPerBlockOptin,
        int sharedMemoryPerMultiprocessor,
        int maxThreadsPerBlock,
        int warpSize,
        int memoryBusWidthBits,
        int memoryClockKHz) {

    /** e.g. 90 for an H100. */
    public int computeCapability() {
        return computeMajor * 10 + computeMinor;
    }

    /** The NVRTC/nvcc target name, e.g. {@code sm_90}. */
    public String arch() {
        return "sm_" + computeCapability();
    }

    /** Datasheet DRAM bandwidth from clock and bus width (double data rate), 0 where unknown. */
    public double peakMemoryBandwidthBytesPerSecond() {
        return 2.0 * memoryClockKHz * 1e3 * memoryBusWidthBits / 8.0;
    }

    /**
     * The dense bf16 tensor-core peak in FLOP/s from NVIDIA's datasheets (half the "with sparsity" figure), for the
     * devices we measure on; 0 where the name is not one of them. H100 SXM and H200: 989.5 TFLOP/s; H100 PCIe: 756.5;
     * H100 NVL: 835.5; A100: 312.
     */
    public double peakBf16DenseFlops() {
        String n = name.toUpperCase(java.util.Locale.ROOT);
        if (n.contains("H200")) return 989.5e12;
        if (n.contains("H100")) return n.contains("PCIE") ? 756.5e12 : n.contains("NVL") ? 835.5e12 : 989.5e12;
        if (n.contains("A100")) return 312e12;
        return 0;
    }

    static DeviceProperties query(int index, int device) {
        return new DeviceProperties(index, DriverApi.deviceName(device),
                DriverApi.deviceAttribute(DriverApi.ATTR_COMPUTE_CAPABILITY_MAJOR, device),
                DriverApi.deviceAttribute(DriverApi.ATTR_COMPUTE_CAPABILITY_MINOR, device),
                DriverApi.deviceAttribute(DriverApi.ATTR_MULTIPROCESSOR_COUNT, device),
                DriverApi.deviceTotalMemory(device),
                DriverApi.deviceAttribute(DriverApi.ATTR_L2_CACHE_SIZE, device),
                DriverApi.deviceAttribute(DriverApi.ATTR_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, device),
                DriverApi.deviceAttribute(DriverApi.ATTR_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, device),
                DriverApi.deviceAttribute(DriverApi.ATTR_MAX_THREADS_PER_BLOCK, device),
                DriverApi.deviceAttribute(DriverApi.ATTR_WARP_SIZE, device),
                DriverApi.deviceAttribute(DriverApi.ATTR_GLOBAL_MEMORY_BUS_WIDTH, device),
                DriverApi.deviceAttribute(DriverApi.ATTR_MEMORY_CLOCK_RATE, device));
    }
}
