package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.dist.CollectiveAbortedException;
import dev.diffusion4j.engine.dist.Communicator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Data-parallel groups of GPUs over NCCL, in one process: one communicator per GPU, made from one unique id handed to
 * every rank in memory. Collectives are queued on each device's own stream (the one its backend computes on), so they
 * follow the backward pass's kernels without a host synchronisation.
 */
public final class Nccl {
    private Nccl() {}

    /** How many CUDA devices this process sees (0 without a usable driver). */
    public static int visibleGpus() {
        if (!CudaLibraries.isAvailable()) return 0;
        DriverApi.init();
        return DriverApi.deviceCount();
    }

    /** NCCL's version code (e.g. 22703 for 2.27.3); throws with the reason where libnccl cannot be loaded. */
    public static int version() { return NcclApi.version(); }

    /** A group over {@code devices} (rank r on devices[r]); every rank's communicator is initialised before this returns. */
    public static Group group(List<Device> devices) {
        int n = devices.size();
        for (Device d : devices) if (!d.isCuda()) throw new IllegalArgumentException("an NCCL group needs CUDA devices, got " + d);
        byte[] id = NcclApi.uniqueId();
        // ncclCommInitRank blocks until all ranks join: one thread per rank, each with its device's context current
        ExecutorService ex = Executors.newFixedThreadPool(n);
        try {
            List<Future<Long>> inits = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                inits.add(ex.submit(() -> {
                    context(devices.get(rank)).makeCurrent();
                    return NcclApi.commInitRank(n, id, rank);
                }));
            }
            long[] comms = new long[n];
            for (int r = 0; r < n; r++) comms[r] = inits.get(r).get();
            return new Group(devices, comms);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new CudaException("NCCL init failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CudaException("interrupted while the NCCL ranks joined");
        } finally {
            ex.shutdownNow();
        }
    }

    private static CudaContext context(Device d) {
        return ((CudaBackend) Backends.get(d)).context();
    }

    /** The communicators of one group; {@link #abort} unblocks every rank (after a failure), {@link #close} frees them. */
    public static final class Group implements AutoCloseable {
        private final List<Device> devices;
        private final long[] comms;
        private volatile String aborted;
        private boolean closed;

        private Group(List<Device> devices, long[] comms) {
            this.devices = List.copyOf(devices);
            this.comms = comms;
        }

        public List<Communicator> communicators() {
            List<Communicator> out = new ArrayList<>();
            for (int r = 0; r < comms.length; r++) out.add(new Rank(r));
            return List.copyOf(out);
        }

        /** Aborts every communicator: collectives waiting on them return with an error, later ones refuse. */
        public synchronized void abort() {
            if (aborted != null || closed) return;
            aborted = "another rank failed; the NCCL group was aborted";
            for (long c : comms) {
                try {
                    NcclApi.commAbort(c);
                } catch (RuntimeException ignored) {
                    // aborting the rest matters more than one comm's abort status
                }
            }
        }

        @Override public synchronized void close() {
            if (closed || aborted != null) { closed = true; return; }
            closed = true;
            for (long c : comms) NcclApi.commDestroy(c);
        }

        private final class Rank implements Communicator {
            private final int rank;
            private final CudaContext ctx;

            Rank(int rank) {
                this.rank = rank;
                this.ctx = context(devices.get(rank));
            }

            @Override public int rank() { return rank; }
            @Override public int worldSize() { return comms.length; }

            private void refuseIfAborted() {
                if (aborted != null) throw new CollectiveAbortedException(aborted);
            }

            /** The tensor, contiguous on this rank's GPU (a host-side tensor, such as a loss, is uploaded). */
            private Tensor onDevice(Tensor t) {
                return t.to(devices.get(rank)).contiguous();
            }

            @Override public Tensor allReduceSum(Tensor t) {
                refuseIfAborted();
                Tensor in = onDevice(t);
                Tensor out = Backends.get(devices.get(rank)).empty(in.shape(), in.dtype());
                ctx.makeCurrent();
                NcclApi.allReduceSum(CudaBackend.ptr(in).deviceAddress(), CudaBackend.ptr(out).deviceAddress(), in.numel(),
                        NcclApi.dataType(in.dtype()), comms[rank], ctx.stream());
                return out;
            }

            @Override public Tensor broadcast(Tensor t, int root) {
                refuseIfAborted();
                Tensor in = onDevice(t);
                Tensor out = Backends.get(devices.get(rank)).empty(in.shape(), in.dtype());
                ctx.makeCurrent();
                NcclApi.broadcast(CudaBackend.ptr(in).deviceAddress(), CudaBackend.ptr(out).deviceAddress(), in.numel(),
                        NcclApi.dataType(in.dtype()), root, comms[rank], ctx.stream());
                return out;
            }

            /** An all-reduce of one element, waited for on the host: returns once every rank has reached it. */
            @Override public void barrier() {
                allReduceSum(Tensor.of(new float[] {0}, 1)).toFloatArray();
                int err = NcclApi.asyncError(comms[rank]);
                if (err != NcclApi.NCCL_SUCCESS && err != NcclApi.NCCL_IN_PROGRESS)
                    throw new CudaException("NCCL rank " + rank + ": " + NcclApi.errorString(err), err, null);
            }

            @Override public void close() {}
        }
    }
}
