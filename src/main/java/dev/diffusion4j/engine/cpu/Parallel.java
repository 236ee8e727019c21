package dev.diffusion4j.engine.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits index ranges over a shared daemon pool. The calling thread works too, so the pool holds
 * {@code threads() - 1} workers and at most {@code threads()} cores are busy per call. Chunks are
 * claimed from a shared counter (dynamic balance: other processes on the machine slow some cores).
 * Calls made from inside a chunk run inline, so nested kernels never oversubscribe the cores.
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
        for (int i = 0; i < helpers; i++) POOL.execute(job::work);
        boolean[] inside = INSIDE.get();
        inside[0] = true;
        try {
            job.work();
        } finally {
            inside[0] = false;
        }
        job.await();
        Throwable e = job.error;
        if (e instanceof RuntimeException re) throw re;
        if (e instanceof Error er) throw er;
        if (e != null) throw new RuntimeException(e);
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

        void await() {
            for (int spins = 0; done.get() < chunks; spins++) {
                if (spins < 2000) Thread.onSpinWait();
                else LockSupport.park(this);
            }
        }
    }
}
