package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.DType;
import java.lang.ref.Cleaner;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Allocates tensor storages and gets their memory back without explicit frees. Each storage's block
 * is returned by a Cleaner once the storage is unreachable; the Java heap does not feel GPU memory
 * pressure, though, so garbage tensors could pile up for a long time. Hence a collection is forced
 * (on a collector thread, so that the allocating thread waits only if it outpaces one)
 * (1) when a request would need a new driver allocation although more has been allocated since
 * the last collection than half of what was live right after it, and more than half a floor (default 1/16 of
 * device memory, at most 8 GiB and at least 256 MiB; property {@code diffusion4j.cuda.softGcBytes}): dead tensors
 * then very likely hold reusable blocks, so a training loop recycles the temporaries of past
 * steps instead of growing the cache; reserved memory stays within the live set plus about twice
 * the hard threshold; (2) in any case when the bytes
 * since the last collection pass a hard threshold (default 1/8 of device memory, at most 16 GiB, property
 * {@code diffusion4j.cuda.gcBytes}); (3) on out-of-memory, before giving up.
 * Stream-ordered reuse keeps early returns safe: work queued on the one stream before the tensor
 * died runs before any work queued after its block is handed out again.
 */
final class DeviceMemory {
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "diffusion4j-cuda-cleaner");
        t.setDaemon(true);
        return t;
    });

    private static final ExecutorService COLLECTOR = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "diffusion4j-cuda-collector");
        t.setDaemon(true);
        return t;
    });

    /** Runs System.gc calls one after another, so a collection can stop waiting once its young pause has freed the dead tensors. */
    private static final ExecutorService GC_TRIGGER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "diffusion4j-gc-trigger");
        t.setDaemon(true);
        return t;
    });
    private static final AtomicBoolean GC_QUEUED = new AtomicBoolean();

    private final CudaContext context;
    private final long gcThreshold;
    private final long softFloor;
    private final AtomicLong sinceGc = new AtomicLong();
    private final AtomicLong released = new AtomicLong();
    private final AtomicLong collections = new AtomicLong();
    private volatile Future<?> inFlight;
    private volatile long liveAfterGc;

    DeviceMemory(CudaContext context) {
        this.context = context;
        long total = context.properties().totalMemoryBytes();
        // A U-Net training step allocates a few GiB of temporaries; floors scaled to the device keep collections
        // near one per step on an H200 (each ~12 ms, on the collector thread) instead of several.
        this.gcThreshold = Long.getLong("diffusion4j.cuda.gcBytes", Math.max(512L << 20, Math.min(16L << 30, total / 8)));
        this.softFloor = Long.getLong("diffusion4j.cuda.softGcBytes", Math.max(256L << 20, Math.min(8L << 30, total / 16)));
    }

    /** A storage of {@code n} elements (contents undefined). */
    CudaStorage allocate(CudaBackend backend, DType dtype, int n) {
        DeviceBuffer b = allocateBuffer(Math.max(1L, (long) n * dtype.byteSize()));
        CudaStorage s = new CudaStorage(backend, dtype, n, b);
        CLEANER.register(s, new Release(b, released));
        return s;
    }

    /** A raw block for scratch space; the caller closes it (stream order makes closing right after queuing safe). */
    DeviceBuffer allocateBuffer(long bytes) {
        long since = sinceGc.addAndGet(bytes);
        CudaAllocator a = context.allocator();
        if (since > gcThreshold || (since > Math.max(softFloor, liveAfterGc) / 2 && !a.cached(bytes))) {
            Future<?> running = inFlight;
            // a collection already running that we outpaced: wait for it rather than grow the cache without bound
            if (running != null && !running.isDone()) await(running);
            else collectInBackground();
        }
        try {
            return context.allocate(bytes);
        } catch (CudaOutOfMemoryException e) {
            collect(true); // dead tensors may hold what is missing
            return context.allocate(bytes);
        }
    }

    /**
     * Starts a collection on the collector thread and returns at once: the caller goes on allocating (from the
     * driver if the cache runs dry) while the GC runs and the cleaner returns the dead tensors' blocks. Waiting for
     * each collection instead cost ~13 ms, a third of a small U-Net's training step. Collections start at half the
     * budget, so the allocations made meanwhile normally fit in the other half.
     */
    private void collectInBackground() {
        sinceGc.set(0);
        inFlight = COLLECTOR.submit(() -> collect(false));
    }

    private static void await(Future<?> f) {
        long t0 = LaunchProfile.ENABLED ? System.nanoTime() : 0;
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("forced collection failed", e.getCause());
        }
        if (LaunchProfile.ENABLED) LaunchProfile.record("(waited for a collection)", System.nanoTime() - t0);
    }

    /**
     * Returns a storage's block at once ({@link CudaBackend#releaseNow}); its bytes no longer count towards the next
     * collection, which would only have found them.
     */
    void releaseNow(CudaStorage s) {
        long bytes = s.capacity();
        if (s.releaseNow()) sinceGc.updateAndGet(v -> Math.max(0, v - bytes));
    }

    /** Runs a full GC and waits until the cleaner has returned what it found. */
    void collect() { collect(true); }

    /**
     * Starts a GC and waits until the cleaner has returned what it found. With {@code wholeCycle} false it does not
     * wait for System.gc to return: under -XX:+ExplicitGCInvokesConcurrent that is the end of a concurrent marking
     * cycle (~16 ms on an H200 box), while temporaries die young and are freed by the cycle's first, young pause
     * (the collection then took 4.4 ms; batch-256 sampling forwards, which outpaced the whole-cycle wait, went from
     * 18,957 to 20,551 img*NFE/s on fmnist-small TF32).
     */
    private synchronized void collect(boolean wholeCycle) {
        long t0 = System.nanoTime();
        sinceGc.set(0);
        collections.incrementAndGet();
        CountDownLatch sentinel = new CountDownLatch(1);
        CLEANER.register(new Object(), sentinel::countDown); // unreachable at once: cleaned by this GC
        if (wholeCycle) {
            systemGc();
        } else if (GC_QUEUED.compareAndSet(false, true)) {   // one queued call at most: a queued one will also find our sentinel
            GC_TRIGGER.execute(() -> {
                GC_QUEUED.set(false);
                systemGc();
            });
        }
        try {
            sentinel.await(1, TimeUnit.SECONDS);
            // the cleaner may still be working through the same batch: wait until it goes quiet
            long last = released.get();
            for (int i = 0; i < 500; i++) {
                Thread.sleep(0, 200_000);
                long now = released.get();
                if (now == last) break;
                last = now;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        liveAfterGc = context.allocator().stats().allocatedBytes();
        if (LaunchProfile.ENABLED) LaunchProfile.record("(collection: gc + cleaner)", System.nanoTime() - t0);
    }

    private static void systemGc() {
        long t0 = LaunchProfile.ENABLED ? System.nanoTime() : 0;
        System.gc();
        if (LaunchProfile.ENABLED) LaunchProfile.record("(collection: System.gc)", System.nanoTime() - t0);
    }

    long gcThreshold() { return gcThreshold; }

    long collections() { return collections.get(); }

    /** The cleaning action: must not refer to the storage, or it would never become unreachable. */
    private record Release(DeviceBuffer buffer, AtomicLong counter) implements Runnable {
        @Override public void run() {
            buffer.close();
            counter.incrementAndGet();
        }
    }
}
