package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.AdamUpdate;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Optimizer and EMA updates (optim.cu): one kernel per parameter for Adam(W) and EMA, and one accumulating kernel
 * per gradient for the global norm, read back once. Tensors that are not contiguous runs of one computing dtype
 * and shape are left to the backend's composed defaults ({@link #fusable}).
 */
final class CudaUpdates {
    private final CudaBackend backend;
    private final CudaKernels kernels;

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

    void adam(Tensor p, Tensor g, Tensor m, Tensor v, AdamUpdate s) {
        kernels.launch(kernels.get("optim", "adam_" + CudaKernels.suffix(p.dtype())), p.numel(), CudaBackend.ptr(p), CudaBackend.ptr(g),
                CudaBackend.ptr(m), CudaBackend.ptr(v), (int) p.numel(), s.beta1(), s.beta2(), s.decay(), s.l2(), s.eps(),
                s.lr() / s.biasCorrection1(), 1 / s.biasCorrection2Sqrt());
    }

    void lerp(Tensor d, Tensor src, double w) {
        kernels.launch(kernels.get("optim", "lerp_" + CudaKernels.suffix(d.dtype())), d.numel(), CudaBackend.ptr(d), CudaBackend.ptr(src),
                (int) d.numel(), w);
    }

    /** Adds the sum of squares of each tensor (each fusable on its own) into the 0-d f64 tensor {@code acc}. */
    void sumOfSquaresInto(List<Tensor> xs, Tensor acc) {
        for (Tensor x : xs) {
            kernels.launch(kernels.get("optim", "sumsq_" + CudaKernels.suffix(x.dtype())), x.numel(), CudaBackend.ptr(x),
                    (int) x.numel(), CudaBackend.ptr(acc));
        }
    }
}
