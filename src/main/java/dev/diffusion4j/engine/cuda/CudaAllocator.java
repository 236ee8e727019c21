package dev.diffusion4j.engine.cuda;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A caching allocator for one device and one stream. Requests are rounded up to a size class
 * (512 B steps up to 1 MiB, then eight classes per power of two, so at most 12.5% is wasted);
 * a closed buffer goes back to its class's free list and the next request of that class reuses
 * it without a driver call. Reuse is safe without events because all work runs on the context's
 * single stream: work queued after the reuse runs after the work that used the block before.
 * On out-of-memory cached blocks go back to the driver, largest first, until the request fits or the cache is empty:
 * a run at the edge of the device's memory keeps its small blocks cached instead of re-allocating all of them.
 *
 * <p>While a CUDA graph is captured, requests go to that graph's {@link GraphPool} instead: the graph's replays write
 * its blocks, so no one else may be handed them until the graph is gone.
 */
public final class CudaAllocator implements DeviceBuffer.Owner {
    static final long SMALL_LIMIT = 1L << 20;
    static final long SMALL_STEP = 512;

    /** Counters in bytes and calls; "allocated" is what live buffers hold, "reserved" adds the cache. */
    public record Stats(long allocatedBytes, long reservedBytes, long peakAllocatedBytes, long peakReservedBytes,
            long liveBuffers, long cachedBlocks, long deviceMallocs, long deviceFrees, long cacheHits, long cacheMisses) {
        @Override
        public String toString() {
            return "allocated " + Bytes.format(allocatedBytes) + " (peak " + Bytes.format(peakAllocatedBytes) + "), reserved "
                    + Bytes.format(reservedBytes) + " (peak " + Bytes.format(peakReservedBytes) + "), " + liveBuffers
                    + " live buffers, " + cachedBlocks + " cached blocks, " + deviceMallocs + " cuMemAlloc, " + deviceFrees
                    + " cuMemFree, " + cacheHits + " cache hits, " + cacheMisses + " misses";
        }
    }

    private final RawDeviceMemory memory;
    private final NavigableMap<Long, ArrayDeque<Long>> free = new TreeMap<>();
    private long allocated;
    private long reserved;
    private long peakAllocated;
    private long peakReserved;
    private long live;
    private long cached;
    private long mallocs;
    private long frees;
    private long hits;
    private long misses;
    private boolean shutDown;
    private GraphPool capturing;

    CudaAllocator(RawDeviceMemory memory) {
        this.memory = memory;
    }

    /** The size class a request of {@code bytes} is served from. */
    static long sizeClass(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation size " + bytes);
        if (bytes <= SMALL_LIMIT) return Math.max(SMALL_STEP, roundUp(bytes, SMALL_STEP));
        int log2 = 63 - Long.numberOfLeadingZeros(bytes - 1); // bytes lies in (2^log2, 2^(log2+1)]
        return roundUp(bytes, 1L << (log2 - 3));
    }

    private static long roundUp(long n, long step) {
        return (n + step - 1) / step * step;
    }

    /** A buffer of at least {@code bytes}; throws {@link CudaOutOfMemoryException} where none fits. */
    public synchronized DeviceBuffer allocate(long bytes) {
        if (shutDown) throw new IllegalStateException("allocate after the CUDA context was closed");
        if (capturing != null) return capturing.allocate(bytes);
        Block b = take(bytes);
        return new DeviceBuffer(this, b.address(), bytes, b.size());
    }

    private record Block(long address, long size) {}

    /** A block for a request of {@code bytes}: of its size class, or a cached one up to 25% larger (see fitting); counted as allocated. */
    private Block take(long bytes) {
        long size = sizeClass(bytes);
        Map.Entry<Long, ArrayDeque<Long>> fit = fitting(free, size);
        long address;
        if (fit != null) {
            size = fit.getKey();
            address = fit.getValue().pop();
            cached--;
            hits++;
        } else {
            misses++;
            address = memory.tryAllocate(size);
            if (address == 0) address = allocateAfterEvicting(bytes, size);
            mallocs++;
            reserved += size;
            peakReserved = Math.max(peakReserved, reserved);
        }
        allocated += size;
        live++;
        peakAllocated = Math.max(peakAllocated, allocated);
        return new Block(address, size);
    }

    /** True when a request of {@code bytes} would be served from the cache, without a driver call. */
    synchronized boolean cached(long bytes) {
        return fitting(free, sizeClass(bytes)) != null;
    }

    /**
     * A non-empty free list of the class {@code size}, else of the smallest larger class within 25%: a
     * slightly larger cached block serves better than a new driver allocation, which would make the
     * cache grow whenever a workload's sizes drift between steps.
     */
    private static Map.Entry<Long, ArrayDeque<Long>> fitting(NavigableMap<Long, ArrayDeque<Long>> free, long size) {
        for (Map.Entry<Long, ArrayDeque<Long>> e : free.subMap(size, true, size + size / 4, true).entrySet())
            if (!e.getValue().isEmpty()) return e;
        return null;
    }

    private static void push(NavigableMap<Long, ArrayDeque<Long>> free, long size, long address) {
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(address);
    }

    /** Called by {@link DeviceBuffer#close()}: back to the cache, not to the driver. */
    @Override
    public synchronized void release(long address, long size) {
        if (shutDown) return; // the context is gone, and its memory with it
        push(free, size, address);
        allocated -= size;
        live--;
        cached++;
    }

    /**
     * Frees cached blocks, largest class first, retrying the request each time the freed bytes reach its size (the
     * driver maps pages, so freed bytes need not be adjacent); throws where even an empty cache leaves it unmet.
     */
    private long allocateAfterEvicting(long bytes, long size) {
        if (cached > 0) memory.synchronize();   // the blocks' last users must be done
        long freed = 0;
        while (cached > 0) {
            freed += evictLargest();
            if (freed >= size || cached == 0) {
                long address = memory.tryAllocate(size);
                if (address != 0) return address;
                freed = 0;
            }
        }
        long address = memory.tryAllocate(size);
        if (address == 0) throw outOfMemory(bytes, size);
        return address;
    }

    /** Gives one cached block of the largest class back to the driver (the stream must have drained); returns its size. */
    private long evictLargest() {
        Map.Entry<Long, ArrayDeque<Long>> largest = free.lastEntry();
        while (largest.getValue().isEmpty()) {
            free.pollLastEntry();
            largest = free.lastEntry();
        }
        memory.free(largest.getValue().pop());
        cached--;
        frees++;
        reserved -= largest.getKey();
        return largest.getKey();
    }

    /** Returns every cached block to the driver (after the stream drains), keeping live buffers. */
    public synchronized void emptyCache() {
        if (cached == 0) return;
        memory.synchronize();
        while (cached > 0) evictLargest();
        free.clear();
    }

    /** Frees the cache for good; buffers closed later are ignored (their context is destroyed). */
    synchronized void shutDown() {
        emptyCache();
        shutDown = true;
    }

    /** Sends every request to a new graph pool until {@link #endCapture}; one capture at a time. */
    synchronized GraphPool beginCapture() {
        if (capturing != null) throw new dev.diffusion4j.engine.GraphCaptureException("another CUDA graph is being captured on this device");
        capturing = new GraphPool();
        return capturing;
    }

    synchronized void endCapture() {
        capturing = null;
    }

    /**
     * The memory of one captured graph: blocks taken from the allocator during the capture, reused among the capture's
     * own buffers as they close (stream order holds inside a graph as on the stream), and returned to the allocator's
     * cache only once the graph is gone: closed blocks at {@link #close()}, live ones when they close. Work queued after
     * the graph's last replay runs after it, so the blocks need no wait.
     */
    final class GraphPool implements DeviceBuffer.Owner {
        private final NavigableMap<Long, ArrayDeque<Long>> poolFree = new TreeMap<>();
        private boolean closed;
        private long blocks;

        private DeviceBuffer allocate(long bytes) {   // under the allocator's lock (from CudaAllocator.allocate)
            Map.Entry<Long, ArrayDeque<Long>> fit = fitting(poolFree, sizeClass(bytes));   // the cache's rule, on the pool's blocks
            if (fit != null) return new DeviceBuffer(this, fit.getValue().pop(), bytes, fit.getKey());
            Block b = take(bytes);
            blocks++;
            return new DeviceBuffer(this, b.address(), bytes, b.size());
        }

        @Override
        public void release(long address, long size) {
            synchronized (CudaAllocator.this) {
                if (closed) CudaAllocator.this.release(address, size);
                else push(poolFree, size, address);
            }
        }

        /** Blocks this pool has taken from the allocator. */
        long blocks() {
            synchronized (CudaAllocator.this) {
                return blocks;
            }
        }

        /** Gives the closed buffers' blocks back to the allocator; call after the graph is destroyed. */
        void close() {
            synchronized (CudaAllocator.this) {
                if (closed) return;
                closed = true;
                for (var e : poolFree.entrySet()) for (long address : e.getValue()) CudaAllocator.this.release(address, e.getKey());
                poolFree.clear();
            }
        }
    }

    public synchronized Stats stats() {
        return new Stats(allocated, reserved, peakAllocated, peakReserved, live, cached, mallocs, frees, hits, misses);
    }

    /** Starts the peaks afresh from the current levels (e.g. per training step). */
    public synchronized void resetPeaks() {
        peakAllocated = allocated;
        peakReserved = reserved;
    }

    private CudaOutOfMemoryException outOfMemory(long bytes, long size) {
        String device;
        try {
            MemoryInfo info = memory.memoryInfo();
            device = "the device has " + Bytes.format(info.freeBytes()) + " free of " + Bytes.format(info.totalBytes());
        } catch (RuntimeException e) {
            device = "the device's free memory is unknown (" + e.getMessage() + ")";
        }
        return new CudaOutOfMemoryException("cuMemAlloc_v2(" + size + " bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory). "
                + "CUDA out of memory: tried to allocate " + Bytes.format(bytes) + " (" + bytes
                + " bytes, size class " + size + "); diffusion4j holds " + Bytes.format(allocated) + " in " + live
                + " live buffers and " + Bytes.format(reserved) + " reserved in all (cache already emptied); " + device
                + ". Lower the batch size or image size, use bf16, or free tensors no longer needed.", bytes, null);
    }
}
