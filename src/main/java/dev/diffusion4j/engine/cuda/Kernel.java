package dev.diffusion4j.engine.cuda;

import java.lang.foreign.MemorySegment;

/** A kernel function, launched on its context's stream. Launches are asynchronous. */
public final class Kernel {
    /** Launch without the JVM's thread-state transition (see the probe's numbers); off by default. */
    static volatile boolean criticalLaunch = false;

    private final CudaContext context;
    private final String name;
    private final long function;

    Kernel(CudaContext context, String name, long function) {
        this.context = context;
        this.name = name;
        this.function = function;
    }

    public String name() {
        return name;
    }

    /** Queues the kernel; see {@link KernelArgs} for the argument types accepted. */
    public void launch(Dim3 grid, Dim3 block, int sharedMemoryBytes, Object... args) {
        context.makeCurrent();
        LaunchProfile.Span span = LaunchProfile.ENABLED ? LaunchProfile.begin(context) : null;
        MemorySegment params = KernelArgs.forThisThread().pack(args);
        int rc = DriverApi.launchKernel(function, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(),
                sharedMemoryBytes, context.stream(), params, criticalLaunch);
        if (rc != DriverApi.CUDA_SUCCESS) {
            throw DriverApi.error(rc, "cuLaunchKernel(" + name + ", grid " + grid + ", block " + block + ", shared "
                    + sharedMemoryBytes + " B, " + args.length + " args)");
        }
        // arguments that own device memory (DeviceAddressable) must outlive the queuing of the kernel
        java.lang.ref.Reference.reachabilityFence(args);
        if (span != null) span.end(name);
    }

    /** A one-dimensional launch with no dynamic shared memory. */
    public void launch(int gridX, int blockX, Object... args) {
        launch(Dim3.of(gridX), Dim3.of(blockX), 0, args);
    }

    /** Lets a launch ask for more than 48 KB of dynamic shared memory (up to the device's opt-in limit). */
    public void setMaxDynamicSharedMemory(int bytes) {
        context.makeCurrent();
        DriverApi.functionSetAttribute(function, DriverApi.FUNC_ATTR_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
    }

    /** Registers per thread, as compiled. */
    public int registers() {
        context.makeCurrent();
        return DriverApi.functionGetAttribute(DriverApi.FUNC_ATTR_NUM_REGS, function);
    }

    public int maxThreadsPerBlock() {
        context.makeCurrent();
        return DriverApi.functionGetAttribute(DriverApi.FUNC_ATTR_MAX_THREADS_PER_BLOCK, function);
    }

    @Override
    public String toString() {
        return "Kernel[" + name + "]";
    }
}
