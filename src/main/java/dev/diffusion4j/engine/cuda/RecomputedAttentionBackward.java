package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Tensor;

/**
 * CUDA's {@link dev.diffusion4j.engine.Backend#attentionBackwardFromLse}: the probabilities P = exp(scale q k^T - lse)
 * recomputed with one cuBLAS product and one in-place pass (probs_from_lse), then dv = P^T g, dP = g v^T, the scores'
 * gradient scale * P (dP - rowsum(P dP)) in place over dP (softmax_bwd with the scale folded in), dq = dS k and
 * dk = dS^T q. Against the backend-neutral default this drops the scaled copy of q, the separate shift and exp, and
 * the two scalings of dq and dk; operands that cuBLAS cannot read in place (head-split views of a token-major
 * tensor) are made contiguous once here instead of once per product.
 */
final class RecomputedAttentionBackward {
    private final CudaBackend backend;
    private final CudaSoftmax softmax;

    RecomputedAttentionBackward(CudaBackend backend, CudaSoftmax softmax) {
        this.backend = backend;
        this.softmax = softmax;
    }

    /** {dq, dk, dv}; every [..., Lq, Lk] temporary and every copy made here is given back before it returns. */
    Tensor[] backward(Tensor gOut, Tensor q, Tensor k, Tensor v, double scale, Tensor lse) {
        Tensor g = rowMajor(gOut.dtype() == q.dtype() ? gOut : backend.cast(gOut, q.dtype()));
        Tensor qc = rowMajor(q), kc = rowMajor(k), vc = rowMajor(v);
        Tensor p = backend.matmul(qc, kc.mT());
        softmax.probsFromLse(p, lse, scale);
        Tensor dv = backend.matmul(p.mT(), g);
        Tensor ds = backend.matmul(g, vc.mT());
        softmax.scaledBackwardInPlace(p, ds, scale);
        backend.releaseNow(p);
        Tensor dq = backend.matmul(ds, kc), dk = backend.matmul(ds.mT(), qc);
        backend.releaseNow(ds);
        releaseCopies(new Tensor[] {gOut, q, k, v}, new Tensor[] {g, qc, kc, vc});
        return new Tensor[] {dq, dk, dv};
    }

    /** x itself when its rows are dense (any offset), which cuBLAS reads in place; else a contiguous copy. */
    private Tensor rowMajor(Tensor x) { return x.isContiguous() ? x : backend.contiguous(x); }

    private void releaseCopies(Tensor[] given, Tensor[] used) {
        for (int i = 0; i < given.length; i++) if (used[i].storage() != given[i].storage()) backend.releaseNow(used[i]);
    }
}
