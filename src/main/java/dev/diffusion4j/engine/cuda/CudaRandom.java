package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.GraphRandom;
import dev.diffusion4j.engine.Tensor;

/**
 * Philox draws on the device (random.cu): the same counters, lanes and formulas as CpuRandom. Inside a graph recording
 * a draw reads its offset from its generator's device slot ({@link GraphRandom}), so each replay draws anew.
 */
final class CudaRandom {
    private final CudaBackend backend;
    private final CudaKernels kernels;

    CudaRandom(CudaBackend backend, CudaKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    Tensor normal(int[] shape, DType dtype, long seed, long offset) { return fill("normal_", shape, dtype, seed, offset); }

    Tensor uniform(int[] shape, DType dtype, long seed, long offset) { return fill("uniform_", shape, dtype, seed, offset); }

    /** Backend.dropoutMask in one pass (random.cu's dropout_mask: the uniform draw, compared and scaled in place). */
    Tensor dropoutMask(int[] shape, DType dtype, long seed, long offset, double p) {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F64) return null;
        GraphRandom.Claim at = offsetOf(seed, offset);
        Tensor out = backend.alloc(shape, dtype);
        int n = (int) out.numel();
        kernels.launch(kernels.get("random", "dropout_mask_" + CudaKernels.suffix(dtype)), (n + 3L) / 4, CudaBackend.base(out), n, seed,
                at.slotAddress(), at.relativeOffset(), p, 1 / (1 - p));
        return out;
    }

    /**
     * The kernel's offset arguments: (no slot, offset) eagerly; inside a recording on this thread, the generator's
     * slot and the distance from it. Another thread's draw during a recording fails (its work would land in the graph).
     */
    private GraphRandom.Claim offsetOf(long seed, long offset) {
        GraphRandom recording = backend.context().capturesOnThisThread() ? GraphRandom.current() : null;
        if (recording != null) return recording.claim(seed, offset);
        backend.context().requireNotCapturing("random numbers (a replay would repeat them)");
        return new GraphRandom.Claim(0, offset);
    }

    private Tensor fill(String kind, int[] shape, DType dtype, long seed, long offset) {
        if (!dtype.isFloating()) throw new IllegalArgumentException(kind + "draws are floating point, not " + dtype.id() + "; use randint");
        GraphRandom.Claim at = offsetOf(seed, offset);
        Tensor out = backend.alloc(shape, dtype);
        int n = (int) out.numel();
        kernels.launch(kernels.get("random", kind + CudaKernels.suffix(dtype)), (n + 3L) / 4, CudaBackend.base(out), n, seed, at.slotAddress(),
                at.relativeOffset());
        return out;
    }

    Tensor randint(int[] shape, long low, long high, long seed, long offset) {
        if (high <= low) throw new IllegalArgumentException("randint needs low < high, got [" + low + ", " + high + ")");
        GraphRandom.Claim at = offsetOf(seed, offset);
        Tensor out = backend.alloc(shape, DType.I64);
        int n = (int) out.numel();
        kernels.launch(kernels.get("random", "randint_i64"), (n + 3L) / 4, CudaBackend.base(out), n, seed, at.slotAddress(), at.relativeOffset(),
                low, high - low);
        return out;
    }
}
