package dev.diffusion4j.engine.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits index ranges over a shared daemon pool. The calling thread works too, so the pool holds
 * {@code threads() - 1} workers and at most {@code threads()} cores are busy per call. Chunks are
 * claimed from a shared counter (dynamic balance: other processes on the machine slow some cores).
 * Calls made from inside a chunk run inline, so nested kernels never oversubscribe the cores.
 *
 * <p>Waking a parked pool thread takes tens of microseconds (far more on a busy machine), as long
 * as a whole 256^3 GEMM. So helpers keep spinning on a shared job slot for a short while
 * ({@code diffusion4j.spinMicros}, default 100) after their last chunk, as BLAS thread pools do:
 * back-to-back calls start at once, and an idle process stops burning CPU 0.1 ms later.
 */
public final class Parallel {
    @FunctionalInterface
    public interface IntRangeBody { void run(int lo, int hi); }

    private static final int THREADS = Math.max(1,
            Integer.getInteger("diffusion4j.threads", Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = THREADS == 1 ? null : new ForkJoinPool(THREADS - 1, p -> {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
        t.setDaemon(true);
        t.setName("diffusion4j-cpu-" + t.getPoolIndex());
        return t;
    }, null, true);
    private static final long SPIN_NANOS = Long.getLong("diffusion4j.spinMicros", 100) * 1000;
    /** The job spinning helpers look at; taken by one caller at a time (others use plain pool tasks). */
    private static final AtomicReference<Job> SLOT = new AtomicReference<>();
    /** Helpers started for the slot and not yet gone back to the pool. */
    private static final AtomicInteger SPINNERS = new AtomicInteger();
    /** Set while the calling (non-pool) thread runs chunks, so its nested calls run inline. */
    private static final ThreadLocal<boolean[]> INSIDE = ThreadLocal.withInitial(() -> new boolean[1]);

    private Parallel() {}

    /** Number of threads a parallel call may keep busy (system property {@code diffusion4j.threads}). */
    public static int threads() { return THREADS; }

    /** True when called from inside a parallel chunk, where further splitting runs inline. */
    public static boolean inParallel() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == POOL || INSIDE.get()[0];
    }

    /**
     * Runs body over [0, n) in chunks of at least minGrain indices (at most 4 chunks per thread);
     * inline when there is only one chunk or when already inside a parallel chunk.
     */
    public static void forRange(int n, int minGrain, IntRangeBody body) {
        if (n <= 0) return;
        long chunks = Math.min((long) THREADS * 4, n / Math.max(1, minGrain));
        forChunks(n, (int) Math.max(1, chunks), body);
    }

    /** Runs body over [0, n) split into exactly {@code chunks} near-equal ranges (each claimed by one thread). */
    static void forChunks(int n, int chunks, IntRangeBody body) {
        if (n <= 0) return;
        chunks = Math.min(chunks, n);
        if (chunks <= 1 || THREADS == 1 || inParallel()) {
            body.run(0, n);
            return;
        }
        Job job = new Job(n, chunks, body);
        int helpers = Math.min(chunks - 1, THREADS - 1);
        boolean slotted = SLOT.compareAndSet(null, job);
        if (slotted) {
            for (int live = SPINNERS.get(); live < helpers; live = SPINNERS.get())
                if (SPINNERS.compareAndSet(live, live + 1)) POOL.execute(Parallel::spin);
        } else {
            for (int i = 0; i < helpers; i++) POOL.execute(job::work);
        }
        boolean[] inside = INSIDE.get();
        inside[0] = true;
        try {
            job.work();
        } finally {
            inside[0] = false;
        }
        job.await();
        if (slotted) SLOT.set(null);
        Throwable e = job.error;
        if (e instanceof RuntimeException re) throw re;
        if (e instanceof Error er) throw er;
        if (e != null) throw new RuntimeException(e);
    }

    /** A helper: works on whatever job is in the slot, returns to the pool after SPIN_NANOS idle. */
    private static void spin() {
        long idleSince = System.nanoTime();
        while (true) {
            Job j = SLOT.get();
            if (j != null && j.next.get() < j.chunks) {
                j.work();
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                SPINNERS.decrementAndGet();
                // a job slotted while we were leaving may have counted on us
                Job late = SLOT.get();
                if (late == null || late.next.get() >= late.chunks || !claim()) return;
                idleSince = System.nanoTime();
            }
        }
    }

    private static boolean claim() {
        for (int live = SPINNERS.get(); live < THREADS - 1; live = SPINNERS.get())
            if (SPINNERS.compareAndSet(live, live + 1)) return true;
        return false;
    }

    /** One parallel call: chunk counter, completion counter, first failure. */
    private static final class Job {
        final int n, chunks;
        final IntRangeBody body;
        final Thread owner = Thread.currentThread();
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        volatile Throwable error;

        Job(int n, int chunks, IntRangeBody body) { this.n = n; this.chunks = chunks; this.body = body; }

        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                try {
                    if (error == null) body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                } catch (Throwable t) {
                    if (error == null) error = t;
                } finally {
                    if (done.incrementAndGet() == chunks) LockSupport.unpark(owner);
                }
            }
        }

        /** Spins while the last chunks are likely to finish soon, then parks until unparked. */
        void await() {
            long start = System.nanoTime();
            while (done.get() < chunks) {
                if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
        }
    }
}
