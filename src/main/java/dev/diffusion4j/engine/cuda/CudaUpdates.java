package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.diffusion4j.engine.AdamUpdate;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Optimizer, EMA and gradient-norm passes over many tensors per launch (optim.cu): a table of up to {@link #MT_MAX}
 * tensors goes by value in the kernel's arguments (no upload), each tensor split into chunks of {@link #MT_CHUNK}
 * elements, one block each. A U-Net step's few hundred parameters take a handful of launches instead of one or two
 * per parameter (measured: 2 x 304 launches, about 4 ms of a ddpm-cifar10 step on an H200). Tensors that are not
 * contiguous runs of one computing dtype and shape are left to the backend's composed defaults ({@link #fusable}).
 */
final class CudaUpdates {
    /** Must match optim.cu's MultiTensor. */
    private static final int MT_MAX = 96, MT_CHUNK = 4096;
    private static final long FIRST_BLOCK = 4, COUNTS = FIRST_BLOCK + 4L * (MT_MAX + 1), POINTERS = COUNTS + 4L * MT_MAX;
    private static final long TABLE_BYTES = POINTERS + 4 * 8L * MT_MAX;

    private final CudaBackend backend;
    private final CudaKernels kernels;
    // by-value kernel argument: the driver copies it at launch, so one table serves every launch (under this lock)
    private final MemorySegment table = Arena.ofAuto().allocate(TABLE_BYTES, 16);

    CudaUpdates(CudaBackend backend, CudaKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    /** All on this device, contiguous, of one f32/bf16/f64 dtype and one shape. */
    boolean fusable(Tensor... ts) {
        DType t = ts[0].dtype();
        if (t != DType.F32 && t != DType.BF16 && t != DType.F64) return false;
        for (Tensor x : ts) {
            if (!(x.storage() instanceof CudaStorage s) || s.backend() != backend || x.dtype() != t || !x.isContiguous()
                    || !Arrays.equals(x.shape(), ts[0].shape())) return false;
        }
        return true;
    }

    /** One Adam(W) step for each (params, grads, expAvgs, expAvgSqs)[i], each group fusable. */
    synchronized void adam(List<Tensor> ps, List<Tensor> gs, List<Tensor> ms, List<Tensor> vs, AdamUpdate s) {
        forEachLaunch(List.of(ps, gs, ms, vs), (sfx, blocks) -> kernels.get("optim", "adam_multi_" + sfx).launch(Dim3.of(blocks),
                Dim3.of(CudaKernels.BLOCK), 0, table, s.beta1(), s.beta2(), s.decay(), s.l2(), s.eps(), s.lr() / s.biasCorrection1(),
                1 / s.biasCorrection2Sqrt()));
    }

    /** dsts[i] += w * (srcs[i] - dsts[i]) for each pair (each fusable). */
    synchronized void lerp(List<Tensor> dsts, List<Tensor> srcs, double w) {
        forEachLaunch(List.of(dsts, srcs), (sfx, blocks) -> kernels.get("optim", "lerp_multi_" + sfx).launch(Dim3.of(blocks),
                Dim3.of(CudaKernels.BLOCK), 0, table, w));
    }

    /** dsts[i] = srcs[i] * min(1, maxNorm / (norm + 1e-6)), norm a 0-d f64 tensor on this device (each pair fusable). */
    synchronized void clipScale(List<Tensor> srcs, List<Tensor> dsts, Tensor norm, double maxNorm) {
        forEachLaunch(List.of(srcs, dsts), (sfx, blocks) -> kernels.get("optim", "clip_scale_multi_" + sfx).launch(Dim3.of(blocks),
                Dim3.of(CudaKernels.BLOCK), 0, table, CudaBackend.ptr(norm), maxNorm));
    }

    /** dsts[i] = srcs[i] converted, for f32 srcs and bf16 dsts or the reverse (each pair contiguous, of one shape). */
    synchronized void cast(List<Tensor> srcs, List<Tensor> dsts) {
        String to = CudaKernels.suffix(dsts.get(0).dtype());
        forEachLaunch(List.of(srcs, dsts), (sfx, blocks) -> kernels.get("optim", "cast_multi_" + sfx + "_" + to).launch(Dim3.of(blocks),
                Dim3.of(CudaKernels.BLOCK), 0, table));
    }

    /** Adds the sum of squares of all tensors (each fusable) into the 0-d f64 tensor {@code acc}: per-chunk partials, summed in order. */
    synchronized void sumOfSquaresInto(List<Tensor> xs, Tensor acc) {
        long chunks = 0;
        for (Tensor x : xs) chunks += (x.numel() + MT_CHUNK - 1) / MT_CHUNK;
        if (chunks == 0) return;
        try (DeviceBuffer partials = backend.scratch(8 * chunks)) {
            long[] at = {0};
            forEachLaunch(List.of(xs), (sfx, blocks) -> {
                kernels.get("optim", "sumsq_multi_" + sfx).launch(Dim3.of(blocks), Dim3.of(CudaKernels.BLOCK), 0, table,
                        partials.address() + 8 * at[0]);
                at[0] += blocks;
            });
            kernels.get("optim", "sum_partials").launch(Dim3.of(1), Dim3.of(CudaKernels.BLOCK), 0, partials, (int) chunks, CudaBackend.ptr(acc));
        }
    }

    private interface Launch {
        void run(String dtypeSuffix, int blocks);
    }

    /**
     * Splits the tensors (column 0 decides dtype and size; the other columns are the same shape) by dtype and into
     * tables of at most MT_MAX, and launches each table with as many blocks as it has chunks.
     */
    private void forEachLaunch(List<List<Tensor>> columns, Launch launch) {
        Map<DType, List<Integer>> byType = new EnumMap<>(DType.class);
        List<Tensor> first = columns.get(0);
        for (int i = 0; i < first.size(); i++) if (first.get(i).numel() > 0) byType.computeIfAbsent(first.get(i).dtype(), d -> new ArrayList<>()).add(i);
        for (var e : byType.entrySet()) {
            List<Integer> idx = e.getValue();
            for (int from = 0; from < idx.size(); from += MT_MAX) {
                List<Integer> part = idx.subList(from, Math.min(idx.size(), from + MT_MAX));
                int blocks = fillTable(columns, part);
                launch.run(CudaKernels.suffix(e.getKey()), blocks);
                Reference.reachabilityFence(columns); // the table holds raw addresses: keep the storages until queued
            }
        }
    }

    /** Writes the tensors {@code idx} of each column into the table; returns its number of chunks. */
    private int fillTable(List<List<Tensor>> columns, List<Integer> idx) {
        table.set(JAVA_INT, 0, idx.size());
        long blocks = 0;
        for (int j = 0; j < idx.size(); j++) {
            int i = idx.get(j);
            long n = columns.get(0).get(i).numel();
            table.set(JAVA_INT, FIRST_BLOCK + 4L * j, (int) blocks);
            table.set(JAVA_INT, COUNTS + 4L * j, (int) n);
            for (int c = 0; c < columns.size(); c++)
                table.set(JAVA_LONG, POINTERS + 8L * (c * MT_MAX + j), CudaBackend.ptr(columns.get(c).get(i)).deviceAddress());
            blocks += (n + MT_CHUNK - 1) / MT_CHUNK;
        }
        if (blocks > Integer.MAX_VALUE) throw new IllegalArgumentException("too many elements for one multi-tensor launch: " + blocks + " chunks");
        table.set(JAVA_INT, FIRST_BLOCK + 4L * idx.size(), (int) blocks);
        return (int) blocks;
    }
}
