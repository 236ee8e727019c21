package dev.diffusion4j.engine.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;

/** Splits index ranges over a shared daemon pool; nested calls run inline so kernels never oversubscribe the cores. */
public final class Parallel {
    @FunctionalInterface
    public interface IntRangeBody { void run(int lo, int hi); }

    private static final int THREADS = Integer.getInteger("diffusion4j.threads", Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, THREADS), p -> {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
        t.setDaemon(true);
        t.setName("diffusion4j-cpu-" + t.getPoolIndex());
        return t;
    }, null, false);

    private Parallel() {}

    public static int threads() { return THREADS; }

    /** Runs body over [0, n) in at most threads() chunks of at least minGrain indices each. */
    public static void forRange(int n, int minGrain, IntRangeBody body) {
        if (n <= 0) return;
        int chunks = Math.min(THREADS, Math.max(1, n / Math.max(1, minGrain)));
        if (chunks <= 1 || Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == POOL) {
            body.run(0, n);
            return;
        }
        POOL.invoke(new RecursiveAction() {
            @Override protected void compute() {
                RecursiveAction[] tasks = new RecursiveAction[chunks];
                for (int c = 0; c < chunks; c++) {
                    int lo = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks);
                    tasks[c] = new RecursiveAction() { @Override protected void compute() { body.run(lo, hi); } };
                }
                invokeAll(tasks);
            }
        });
    }
}
