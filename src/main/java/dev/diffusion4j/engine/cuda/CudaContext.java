package dev.diffusion4j.engine.cuda;

import java.lang.foreign.Arena;
import dev.diffusion4j.engine.GraphCaptureException;
import dev.diffusion4j.engine.GraphRandom;
import dev.diffusion4j.engine.GraphedFunction;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One device: its primary context, one non-blocking stream that all work goes to (so work is
 * ordered without events), its caching allocator and its kernel cache. Methods make the context
 * current on the calling thread when needed, so any thread may use it (one at a time per stream
 * order: callers serialise their work).
 */
public final class CudaContext implements AutoCloseable {
    private static final ThreadLocal<CudaContext> CURRENT = new ThreadLocal<>();

    private final int device;
    private final long context;
    private final long stream;
    private final DeviceProperties properties;
    private final CudaAllocator allocator;
    private volatile KernelCache kernels;
    private volatile Thread capturingThread;
    private boolean closed;

    private CudaContext(int index) {
        DriverApi.init();
        int count = DriverApi.deviceCount();
        if (index < 0 || index >= count) {
            throw new CudaException("CUDA device " + index + " does not exist: this machine has " + count
                    + " device(s), numbered 0 to " + (count - 1));
        }
        this.device = DriverApi.device(index);
        this.context = DriverApi.primaryContextRetain(device);
        DriverApi.contextSetCurrent(context);
        CURRENT.set(this);
        this.stream = DriverApi.streamCreate(DriverApi.CU_STREAM_NON_BLOCKING);
        this.properties = DeviceProperties.query(index, device);
        this.allocator = new CudaAllocator(new DriverMemory());
    }

    /** Opens device {@code index} (0-based); throws with the reason where CUDA is not available. */
    public static CudaContext create(int index) {
        CudaLibraries.requireAvailable();
        return new CudaContext(index);
    }

    public DeviceProperties properties() {
        return properties;
    }

    public CudaAllocator allocator() {
        return allocator;
    }

    /** The stream handle (CUstream), for library bindings that take one. */
    public long stream() {
        return stream;
    }

    /** The kernel cache for this device, created on first use. */
    public KernelCache kernels() {
        KernelCache k = kernels;
        if (k == null) {
            synchronized (this) {
                if (kernels == null) kernels = new KernelCache(this, KernelCache.defaultDirectory());
                k = kernels;
            }
        }
        return k;
    }

    /** Makes this context current on the calling thread (cheap when it already is). */
    public void makeCurrent() {
        if (CURRENT.get() != this) {
            DriverApi.contextSetCurrent(context);
            CURRENT.set(this);
        }
    }

    /**
     * Records what {@code work} queues on the stream, without running it, into a CUDA graph (stream capture; the
     * allocator serves the capture from the graph's own pool). Throws {@link GraphCaptureException}, with nothing
     * recorded, where the work waits for the device, copies between host and device or fails otherwise.
     */
    public CudaGraph capture(Runnable work) {
        makeCurrent();
        if (LaunchProfile.ENABLED) throw new GraphCaptureException("the launch profiler times each kernel with events");
        // the random draws' offset slots (GraphRandom), outside the graph's pool: the host writes them before each replay
        DeviceBuffer slots = allocator.allocate(8L * GraphRandom.MAX_STREAMS);
        CudaAllocator.GraphPool pool;
        try {
            pool = allocator.beginCapture();
        } catch (RuntimeException | Error e) {
            slots.close();
            throw e;
        }
        capturingThread = Thread.currentThread();
        GraphRandom random = null;
        Throwable failure = null;
        long graph = 0;
        List<GraphRandom.Stream> streams = List.of();
        try {
            // random draws follow their generators only where training-step graphs are on; else a draw refuses the capture
            if (GraphedFunction.trainingStepsEnabled()) random = GraphRandom.begin(slots.address());
            DriverApi.streamBeginCapture(stream, DriverApi.CU_STREAM_CAPTURE_MODE_RELAXED);
            work.run();
        } catch (Throwable e) {
            failure = e;
        } finally {
            try {
                graph = DriverApi.streamEndCapture(stream);
            } catch (CudaException e) {   // the capture was invalidated (a library call it cannot hold), or never began
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
            try {
                if (random != null) streams = random.end();
            } catch (GraphCaptureException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
            allocator.endCapture();
            capturingThread = null;
        }
        CudaGraph recorded = null;
        try {
            if (failure == null) recorded = new CudaGraph(this, DriverApi.graphInstantiate(graph), DriverApi.graphNodeCount(graph), pool,
                    streams, streams.isEmpty() ? null : slots);
        } catch (CudaException e) {
            failure = e;
        } finally {
            if (graph != 0) DriverApi.graphDestroy(graph);   // the executable graph keeps what it needs
            if (recorded == null || streams.isEmpty()) slots.close();
        }
        if (recorded != null) return recorded;
        pool.close();
        if (failure instanceof Error e) throw e;
        throw failure instanceof GraphCaptureException g ? g : new GraphCaptureException("capture failed: " + failure.getMessage(), failure);
    }

    /** Whether this thread is recording a graph on this context. */
    boolean capturesOnThisThread() { return capturingThread == Thread.currentThread(); }

    /**
     * Throws where a graph is being captured: {@link GraphCaptureException} on the capturing thread (a graph cannot
     * replay what {@code what} needs); IllegalStateException on another, whose work would land in the graph (a
     * context's users take turns, see the class comment).
     */
    void requireNotCapturing(String what) {
        Thread t = capturingThread;
        if (t == null) return;
        if (t == Thread.currentThread()) throw new GraphCaptureException(what + " inside a CUDA graph capture");
        throw new IllegalStateException(what + " on thread " + Thread.currentThread().getName() + " while thread " + t.getName()
                + " captures a CUDA graph on the same device");
    }

    /** Waits until all work queued on the stream is done; reports asynchronous kernel errors. */
    public void synchronize() {
        requireNotCapturing("a wait for the device");
        makeCurrent();
        DriverApi.streamSynchronize(stream);
    }

    public MemoryInfo memoryInfo() {
        makeCurrent();
        long[] m = DriverApi.memGetInfo();
        return new MemoryInfo(m[0], m[1]);
    }

    public DeviceBuffer allocate(long bytes) {
        makeCurrent();
        return allocator.allocate(bytes);
    }

    public CudaEvent newEvent() {
        makeCurrent();
        return new CudaEvent(this, DriverApi.eventCreate(DriverApi.CU_EVENT_DEFAULT));
    }

    /** Page-locked host memory: full-speed, truly asynchronous copies. */
    public PinnedBuffer allocatePinned(long bytes) {
        makeCurrent();
        return new PinnedBuffer(DriverApi.memAllocHost(bytes));
    }

    // ---- copies, queued on the stream ----

    /** Queues a host-to-device copy; {@code src} must stay alive and unchanged until the stream reaches it. */
    public void copyToDeviceAsync(MemorySegment src, long dstAddress, long bytes) {
        requireNotCapturing("a copy from the host");
        makeCurrent();
        DriverApi.memcpyHtoDAsync(dstAddress, src, bytes, stream);
    }

    /** Queues a device-to-host copy; read {@code dst} only after {@link #synchronize()}. */
    public void copyToHostAsync(long srcAddress, MemorySegment dst, long bytes) {
        requireNotCapturing("a read to the host");
        makeCurrent();
        DriverApi.memcpyDtoHAsync(dst, srcAddress, bytes, stream);
    }

    public void copyDeviceToDevice(long dstAddress, long srcAddress, long bytes) {
        makeCurrent();
        DriverApi.memcpyDtoDAsync(dstAddress, srcAddress, bytes, stream);
    }

    /** Sets {@code count} 32-bit words to {@code bits} (e.g. Float.floatToRawIntBits(x)). */
    public void fill32(long dstAddress, int bits, long count) {
        makeCurrent();
        DriverApi.memsetD32Async(dstAddress, bits, count, stream);
    }

    /** Copies a Java array to the device and waits for the copy to finish. */
    public void upload(float[] src, DeviceBuffer dst) {
        upload(MemorySegment.ofArray(src), dst);
    }

    public void upload(int[] src, DeviceBuffer dst) {
        upload(MemorySegment.ofArray(src), dst);
    }

    public void upload(short[] src, DeviceBuffer dst) {
        upload(MemorySegment.ofArray(src), dst);
    }

    public void upload(byte[] src, DeviceBuffer dst) {
        upload(MemorySegment.ofArray(src), dst);
    }

    /** Copies device memory into a Java array, waiting for all work queued before it. */
    public void download(DeviceBuffer src, float[] dst) {
        download(src, MemorySegment.ofArray(dst));
    }

    public void download(DeviceBuffer src, int[] dst) {
        download(src, MemorySegment.ofArray(dst));
    }

    public void download(DeviceBuffer src, short[] dst) {
        download(src, MemorySegment.ofArray(dst));
    }

    public void download(DeviceBuffer src, byte[] dst) {
        download(src, MemorySegment.ofArray(dst));
    }

    /** Heap memory cannot be handed to an asynchronous copy: stage it in native memory, then wait. */
    private void upload(MemorySegment heap, DeviceBuffer dst) {
        long bytes = heap.byteSize();
        checkFits(bytes, dst);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staging = a.allocate(bytes, 16);
            MemorySegment.copy(heap, 0, staging, 0, bytes);
            copyToDeviceAsync(staging, dst.address(), bytes);
            synchronize();
        }
    }

    private void download(DeviceBuffer src, MemorySegment heap) {
        long bytes = heap.byteSize();
        checkFits(bytes, src);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staging = a.allocate(bytes, 16);
            copyToHostAsync(src.address(), staging, bytes);
            synchronize();
            MemorySegment.copy(staging, 0, heap, 0, bytes);
        }
    }

    private static void checkFits(long bytes, DeviceBuffer buffer) {
        if (bytes > buffer.bytes()) {
            throw new IllegalArgumentException("copy of " + bytes + " bytes does not fit a device buffer of " + buffer.bytes() + " bytes");
        }
    }

    /** Releases the cache, the kernels, the stream and the primary context; live buffers die with it. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        makeCurrent();
        DriverApi.streamSynchronize(stream);
        allocator.shutDown();
        if (kernels != null) kernels.unloadAll();
        DriverApi.streamDestroy(stream);
        CURRENT.remove();
        DriverApi.primaryContextRelease(device);
    }

    @Override
    public String toString() {
        return "CudaContext[" + properties.index() + ": " + properties.name() + ", " + properties.arch() + "]";
    }

    /** The driver calls under the allocator, made with this context current. */
    private final class DriverMemory implements RawDeviceMemory {
        @Override
        public long tryAllocate(long bytes) {
            makeCurrent();
            return DriverApi.tryMemAlloc(bytes);
        }

        @Override
        public void free(long address) {
            makeCurrent();
            DriverApi.memFree(address);
        }

        @Override
        public MemoryInfo memoryInfo() {
            return CudaContext.this.memoryInfo();
        }

        @Override
        public void synchronize() {
            CudaContext.this.synchronize();
        }
    }
}
