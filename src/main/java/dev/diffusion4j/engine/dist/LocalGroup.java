package dev.diffusion4j.engine.dist;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * N ranks in one process (one thread each) that exchange tensors through shared arrays: the CPU stand-in for NCCL,
 * used by tests and by CPU data-parallel runs. Sums are taken in rank order 0, 1, ..., N-1 for every element, so a
 * result never depends on which thread arrived first. A rank that waits longer than the timeout at a collective, or
 * an {@link #abort}, breaks the group: every waiting and later collective throws {@link CollectiveAbortedException}.
 */
public final class LocalGroup {
    private final int size;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition tripped = lock.newCondition();
    private int arrived;
    private long generation;
    private final long timeoutNanos;
    private final float[][] slots;
    private float[] result;
    private volatile String abortReason;    // written under lock

    private LocalGroup(int size, Duration timeout) {
        if (size < 1) throw new IllegalArgumentException("a group needs at least one rank, got " + size);
        this.size = size;
        this.timeoutNanos = timeout.isZero() ? Long.MAX_VALUE : timeout.toNanos();
        this.slots = new float[size][];
    }

    /** The communicators of a new group of {@code size} ranks, index = rank; a collective waits at most {@code timeout} (zero: forever). */
    public static List<Communicator> create(int size, Duration timeout) {
        LocalGroup g = new LocalGroup(size, timeout);
        List<Communicator> out = new ArrayList<>();
        for (int r = 0; r < size; r++) out.add(g.new Rank(r));
        return List.copyOf(out);
    }

    /** Breaks the group: collectives waiting now or called later throw with {@code reason}. */
    public void abort(String reason) {
        lock.lock();
        try {
            if (abortReason == null) abortReason = reason;
            tripped.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A barrier that an abort always wakes: returns when all ranks arrived, throws when the group is (or gets) aborted. */
    private void await(int rank) {
        lock.lock();
        try {
            if (abortReason != null) throw new CollectiveAbortedException(abortReason);
            long gen = generation;
            if (++arrived == size) {
                arrived = 0;
                generation++;
                tripped.signalAll();
                return;
            }
            long left = timeoutNanos;
            while (gen == generation) {
                if (abortReason != null) throw new CollectiveAbortedException(abortReason);
                if (left <= 0) {
                    abortReason = "rank " + rank + " waited more than " + Duration.ofNanos(timeoutNanos)
                            + " for the other ranks at a collective (a rank hangs)";
                    tripped.signalAll();
                    throw new CollectiveAbortedException(abortReason);
                }
                try {
                    left = tripped.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    if (abortReason == null) abortReason = "rank " + rank + " was interrupted at a collective";
                    tripped.signalAll();
                    throw new CollectiveAbortedException(abortReason);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private final class Rank implements Communicator {
        private final int rank;
        Rank(int rank) { this.rank = rank; }

        @Override public int rank() { return rank; }
        @Override public int worldSize() { return size; }
        LocalGroup group() { return LocalGroup.this; }

        @Override public Tensor allReduceSum(Tensor t) {
            float[] mine = t.toFloatArray();
            slots[rank] = mine;
            await(rank);
            if (rank == 0) {
                for (int r = 1; r < size; r++)
                    if (slots[r].length != mine.length)
                        abort("allReduceSum: rank " + r + " sent " + slots[r].length + " elements, rank 0 sent " + mine.length);
                if (abortReason == null) {
                    float[] sum = slots[0].clone();
                    for (int r = 1; r < size; r++) {
                        float[] s = slots[r];
                        for (int i = 0; i < sum.length; i++) sum[i] += s[i];
                    }
                    result = sum;
                }
            }
            await(rank);                      // the sum is ready
            float[] sum = result;
            await(rank);                      // everyone has read it: slots and result may be reused
            return back(sum, t);
        }

        @Override public Tensor broadcast(Tensor t, int root) {
            if (root < 0 || root >= size) throw new IllegalArgumentException("broadcast root " + root + " outside 0.." + (size - 1));
            if (rank == root) result = t.toFloatArray();
            await(rank);
            float[] v = result;
            if (v.length != t.numel()) abort("broadcast: rank " + rank + " expects " + t.numel() + " elements, root sent " + v.length);
            await(rank);
            return rank == root ? t : back(v, t);
        }

        @Override public void barrier() { await(rank); }

        @Override public void close() { slots[rank] = null; }
    }

    private static Tensor back(float[] values, Tensor like) {
        Tensor cpu = Tensor.of(values, like.shape());
        DType d = like.dtype();
        Device dev = like.device();
        return cpu.to(d).to(dev);
    }

    /** The group behind one of its communicators (to abort it from outside its threads). */
    public static LocalGroup of(Communicator c) {
        if (c instanceof Rank r) return r.group();
        throw new IllegalArgumentException("not a LocalGroup communicator: " + c.getClass().getSimpleName());
    }
}
