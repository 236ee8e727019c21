package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The caching logic on a fake device, so it is checked without a GPU. */
class CudaAllocatorTest {
    /** A device with {@code capacity} bytes that hands out increasing fake addresses. */
    static final class FakeMemory implements RawDeviceMemory {
        final long capacity;
        final Map<Long, Long> blocks = new HashMap<>();
        long used;
        long next = 0x10000;
        int syncs;

        FakeMemory(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public long tryAllocate(long bytes) {
            if (used + bytes > capacity) return 0;
            long a = next;
            next += bytes;
            used += bytes;
            blocks.put(a, bytes);
            return a;
        }

        @Override
        public void free(long address) {
            used -= blocks.remove(address);
        }

        @Override
        public MemoryInfo memoryInfo() {
            return new MemoryInfo(capacity - used, capacity);
        }

        @Override
        public void synchronize() {
            syncs++;
        }
    }

    @Test
    void sizeClassesCoverTheRequestWithBoundedWaste() {
        assertEquals(512, CudaAllocator.sizeClass(0));
        assertEquals(512, CudaAllocator.sizeClass(1));
        assertEquals(1024, CudaAllocator.sizeClass(513));
        assertEquals(1L << 20, CudaAllocator.sizeClass(1L << 20));
        assertEquals(1L << 30, CudaAllocator.sizeClass(1L << 30));
        for (long n = 1; n < (1L << 40); n = n * 3 + 7) {
            long c = CudaAllocator.sizeClass(n);
            assertTrue(c >= n);
            if (n > CudaAllocator.SMALL_LIMIT) assertTrue(c - n <= n / 8, n + " -> " + c);
            else assertTrue(c - n < CudaAllocator.SMALL_STEP, n + " -> " + c);
        }
    }

    @Test
    void aSlightlyLargerCachedBlockServesBeforeANewOne() {
        FakeMemory mem = new FakeMemory(1L << 30);
        CudaAllocator alloc = new CudaAllocator(mem);
        DeviceBuffer big = alloc.allocate(8L << 20);
        long address = big.address();
        big.close();
        DeviceBuffer smaller = alloc.allocate(7L << 20); // its class is within 25% below 8 MiB
        assertEquals(address, smaller.address());
        assertEquals(8L << 20, smaller.capacity(), "the block keeps its own class");
        assertTrue(!alloc.cached(7L << 20));
        DeviceBuffer half = alloc.allocate(4L << 20); // 8 MiB would waste half: a new block
        assertNotEquals(address, half.address());
        smaller.close();
        assertTrue(alloc.cached(8L << 20) && alloc.cached(7L << 20) && !alloc.cached(4L << 20));
        assertEquals(2, alloc.stats().deviceMallocs());
    }

    @Test
    void closedBuffersAreReusedWithoutADriverCall() {
        FakeMemory mem = new FakeMemory(1L << 30);
        CudaAllocator alloc = new CudaAllocator(mem);
        DeviceBuffer a = alloc.allocate(1000);
        long address = a.address();
        assertEquals(1024, a.capacity());
        a.close();
        a.close(); // idempotent
        assertThrows(IllegalStateException.class, a::address);
        DeviceBuffer b = alloc.allocate(900); // same size class
        assertEquals(address, b.address());
        DeviceBuffer c = alloc.allocate(5000);
        assertNotEquals(address, c.address());
        CudaAllocator.Stats s = alloc.stats();
        assertEquals(2, s.deviceMallocs());
        assertEquals(1, s.cacheHits());
        assertEquals(2, s.cacheMisses());
        assertEquals(1024 + 5120, s.allocatedBytes());
        assertEquals(1024 + 5120, s.reservedBytes());
        assertEquals(2, s.liveBuffers());
        b.close();
        c.close();
        s = alloc.stats();
        assertEquals(0, s.allocatedBytes());
        assertEquals(1024 + 5120, s.reservedBytes());
        assertEquals(1024 + 5120, s.peakAllocatedBytes());
        alloc.emptyCache();
        s = alloc.stats();
        assertEquals(0, s.reservedBytes());
        assertEquals(2, s.deviceFrees());
        assertEquals(0, mem.used);
        assertEquals(1, mem.syncs, "the stream drains before blocks go back to the driver");
    }

    @Test
    void outOfMemoryEmptiesTheCacheAndRetriesOnce() {
        FakeMemory mem = new FakeMemory(8L << 20);
        CudaAllocator alloc = new CudaAllocator(mem);
        alloc.allocate(4L << 20).close(); // cached, holds half the device
        DeviceBuffer big = alloc.allocate(6L << 20); // fits only once the cache is gone
        assertEquals(1, alloc.stats().deviceFrees());
        assertEquals(6L << 20, alloc.stats().reservedBytes());
        big.close();
    }

    @Test
    void outOfMemoryFreesTheLargestCachedBlocksOnlyUntilTheRequestFits() {
        FakeMemory mem = new FakeMemory(16L << 20);
        CudaAllocator alloc = new CudaAllocator(mem);
        DeviceBuffer live = alloc.allocate(1L << 20);
        DeviceBuffer[] blocks = {alloc.allocate(1L << 20), alloc.allocate(2L << 20), alloc.allocate(4L << 20), alloc.allocate(8L << 20)};
        long smallAddress = blocks[0].address();
        for (DeviceBuffer b : blocks) b.close();   // 15 MiB cached, 1 MiB live: the device is full
        DeviceBuffer req = alloc.allocate(6L << 20);   // needs the 8 MiB block back, nothing else
        CudaAllocator.Stats s = alloc.stats();
        assertEquals(1, s.deviceFrees());
        assertEquals(3, s.cachedBlocks());
        assertEquals(1, mem.syncs);
        assertTrue(alloc.cached(1L << 20) && alloc.cached(2L << 20) && alloc.cached(4L << 20));
        DeviceBuffer again = alloc.allocate(1L << 20);
        assertEquals(smallAddress, again.address(), "the small block stayed cached");
        // 14 of 16 MiB held (8 live, 2 + 4 cached): 5 MiB fits once both cached blocks are gone
        DeviceBuffer five = alloc.allocate(5L << 20);
        assertEquals(3, alloc.stats().deviceFrees());
        assertEquals(0, alloc.stats().cachedBlocks());
        assertEquals(13L << 20, alloc.stats().reservedBytes());
        for (DeviceBuffer b : new DeviceBuffer[] {live, req, again, five}) b.close();
    }

    @Test
    void outOfMemoryMessageNamesSizesAndTheFix() {
        FakeMemory mem = new FakeMemory(8L << 20);
        CudaAllocator alloc = new CudaAllocator(mem);
        DeviceBuffer held = alloc.allocate(3L << 20);
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class, () -> alloc.allocate(6L << 20));
        String m = e.getMessage();
        assertTrue(m.startsWith("cuMemAlloc_v2(6291456 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)"), m);
        assertTrue(m.contains("tried to allocate 6.00 MiB"), m);
        assertTrue(m.contains("holds 3.00 MiB in 1 live buffers"), m);
        assertTrue(m.contains("3.00 MiB reserved"), m);
        assertTrue(m.contains("5.00 MiB free of 8.00 MiB"), m);
        assertTrue(m.contains("batch size"), m);
        assertEquals(6L << 20, e.requestedBytes());
        held.close();
    }

    @Test
    void afterShutdownClosesAreIgnoredAndAllocationsRefused() {
        CudaAllocator alloc = new CudaAllocator(new FakeMemory(1L << 20));
        DeviceBuffer b = alloc.allocate(100);
        alloc.shutDown();
        b.close();
        assertThrows(IllegalStateException.class, () -> alloc.allocate(100));
    }

    /**
     * A captured graph's pool: it takes blocks from the cache (or the device), reuses its own closed blocks during the
     * capture and nobody else's, keeps them from the cache while the graph lives, and gives closed ones back when the
     * graph goes (live ones when they close).
     */
    @Test
    void aGraphPoolKeepsItsBlocksUntilTheGraphGoes() {
        FakeMemory m = new FakeMemory(1L << 30);
        CudaAllocator a = new CudaAllocator(m);
        DeviceBuffer cachedBefore = a.allocate(4096);
        long cachedAddress = cachedBefore.address();
        cachedBefore.close();

        CudaAllocator.GraphPool pool = a.beginCapture();
        DeviceBuffer x = a.allocate(4096);
        assertEquals(cachedAddress, x.address(), "the pool takes a cached block first");
        DeviceBuffer y = a.allocate(4096);
        long xa = x.address(), ya = y.address();
        x.close();
        DeviceBuffer z = a.allocate(4096);
        long za = z.address();
        assertEquals(xa, za, "a block closed during the capture serves the capture again");
        assertThrows(dev.diffusion4j.engine.GraphCaptureException.class, a::beginCapture, "one capture at a time");
        a.endCapture();
        assertEquals(2, pool.blocks());

        z.close();   // back to the pool, not to the cache: the graph still writes it
        DeviceBuffer other = a.allocate(4096);
        assertNotEquals(za, other.address());
        assertNotEquals(ya, other.address());
        assertEquals(3, a.stats().liveBuffers(), "y and z's blocks count as live while the graph holds them, and other");

        pool.close();   // the graph is gone: z's block returns; y's returns when y closes
        assertEquals(2, a.stats().liveBuffers());
        DeviceBuffer again = a.allocate(4096);
        assertEquals(za, again.address());
        y.close();
        assertEquals(2, a.stats().liveBuffers());
        again.close();
        other.close();
        assertEquals(0, a.stats().liveBuffers());
        assertEquals(3, a.stats().cachedBlocks());
    }
}
