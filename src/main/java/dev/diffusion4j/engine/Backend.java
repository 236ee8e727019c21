package dev.diffusion4j.engine;

/**
 * The kernels one device provides. Inputs may be strided views (a backend makes them contiguous where its kernel
 * needs that); outputs are new contiguous tensors. No autograd here: the ops classes record the graph and call
 * these kernels, so each backend implements math once and gradients come for free.
 */
public interface Backend {
    Device device();

    // ---- memory ----
    /** A new contiguous tensor filled with {@code value}. */
    Tensor full(int[] shape, DType dtype, double value);

    /**
     * A new tensor whose every element the caller writes before reading any (cat's output): a backend may leave it
     * unfilled. The default fills zeros.
     */
    default Tensor empty(int[] shape, DType dtype) { return full(shape, dtype, 0); }
    /** A tensor holding a copy of a host array: float[] (F32), double[] (F64), long[] (I64), int[] (I32), short[] (BF16/F16 bits). */
    Tensor fromArray(Object hostArray, int[] shape, DType dtype);
    /** A contiguous host copy of {@code t} in the array type of its dtype (see {@link #fromArray}). */
    Object toArray(Tensor t);
    /** A contiguous copy of a strided view (or {@code x} itself when it already is contiguous and offset-free). */
    Tensor contiguous(Tensor x);
    Tensor cast(Tensor x, DType to);

    /**
     * Each of xs cast to {@code to} (an x already of that type is returned as it is), the same values as {@link #cast}
     * one by one, which this default does; a backend may cast many in one launch (autocast's copies of a model's
     * parameters, and their gradients back).
     */
    default java.util.List<Tensor> castAll(java.util.List<Tensor> xs, DType to) {
        java.util.List<Tensor> out = new java.util.ArrayList<>(xs.size());
        for (Tensor x : xs) out.add(x.dtype() == to ? x : cast(x, to));
        return out;
    }
    /** Writes {@code src} (broadcast to dst's shape) into the view {@code dst}, which must be a view of a storage of this backend. */
    void copyInto(Tensor dst, Tensor src);

    /**
     * Records the device work that {@code work} queues, without running it, as a graph to replay. Throws
     * {@link GraphCaptureException} where the work needs the host midway, and where this backend has no graphs
     * ({@link #capturesGraphs} false: the CPU).
     */
    default CapturedGraph capture(Runnable work) { throw new GraphCaptureException(device() + " records no graphs"); }

    /** Whether {@link #capture} records graphs here. */
    default boolean capturesGraphs() { return false; }

    // ---- random numbers (Philox 4x32-10 streams; identical on every backend) ----
    Tensor normal(int[] shape, DType dtype, long seed, long offset);
    Tensor uniform(int[] shape, DType dtype, long seed, long offset);

    /**
     * Inverted dropout's mask: 1 / (1 - p) where the uniform draw {@code uniform(shape, dtype, seed, offset)} is at
     * least p (both in dtype), else 0: the same values as composing that draw, a comparison and a scaling, which a
     * backend may do in one pass.
     */
    default Tensor dropoutMask(int[] shape, DType dtype, long seed, long offset, double p) {
        Tensor u = uniform(shape, dtype, seed, offset);
        return unary(UnaryOp.AFFINE, binary(BinaryOp.GE, u, full(new int[0], dtype, p)), 1 / (1 - p), 0);
    }
    /** Integers in [low, high) as I64. */
    Tensor randint(int[] shape, long low, long high, long seed, long offset);

    // ---- elementwise ----
    Tensor unary(UnaryOp op, Tensor x, double p, double q);
    /** gy * d op(x)/dx, where y = op(x) is passed for ops whose derivative is cheapest from the output. */
    Tensor unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gy, double p, double q);
    Tensor binary(BinaryOp op, Tensor a, Tensor b);
    Tensor where(Tensor cond, Tensor a, Tensor b);

    // ---- reductions ----
    Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim);

    // ---- linear algebra ----
    /** a [..., m, k] times b [..., k, n]; b's batch dims equal a's or b is 2-D. Transposed views are read without copies where possible. */
    Tensor matmul(Tensor a, Tensor b);

    /**
     * A Linear layer's product x [..., k] times w [n, k] transposed, plus bias [n] (or null) broadcast over the rows,
     * then an elementwise activation (or null). This default composes matmul, add and unary; a backend may do the add
     * and the activation inside the product.
     */
    default Tensor linear(Tensor x, Tensor w, Tensor bias, UnaryOp activation) {
        Tensor y = matmul(x, w.mT());
        if (bias != null) y = binary(BinaryOp.ADD, y, bias);
        return activation == null ? y : unary(activation, y, 0, 0);
    }

    /**
     * {@link #linear} with an activation, keeping the activation's input: {x wᵀ + bias, activation(x wᵀ + bias)} (what a
     * training step's MLP needs for its backward). This default takes the two ops; a backend may write both from one
     * product.
     */
    default Tensor[] linearKeepingInput(Tensor x, Tensor w, Tensor bias, UnaryOp activation) {
        Tensor pre = linear(x, w, bias, null);
        return new Tensor[] {pre, unary(activation, pre, 0, 0)};
    }

    /**
     * A Linear layer's weight gradient gyᵀ x ([n, k] for gy [M, n] and x [M, k] of one type) and, when bias, its bias
     * gradient (gy's column sums, [n]), both in gy's type; {weight, bias or null}. This default takes a product and a
     * reduction; a backend may sum the bias gradient inside the product.
     */
    default Tensor[] linearWeightGradients(Tensor gy, Tensor x, boolean bias) {
        return new Tensor[] {matmul(gy.mT(), x), bias ? reduce(ReduceOp.SUM, gy, new int[] {0}, false) : null};
    }

    /**
     * The input gradient of op in a Linear layer that reads op(h): (gy w) * op'(h) for gy [M, n], w [n, k] and h [M, k],
     * in h's type; null where the backend has no fused form for these operands (the caller then composes it).
     */
    default Tensor activationInputGradient(UnaryOp op, Tensor gy, Tensor w, Tensor h) { return null; }

    /** Whether {@link #activationInputGradient} may take op at all now (models pick the op form that offers it then). */
    default boolean fusesActivationGradient(UnaryOp op) { return false; }

    // ---- indexing ----
    /** out = x.index_select(dim, index); index is a 1-D I64 tensor. */
    Tensor indexSelect(Tensor x, int dim, Tensor index);
    /** zeros(shape) with src rows added at index along dim (the adjoint of indexSelect; repeated indices accumulate). */
    Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src);

    // ---- convolution, pooling, resampling (NCHW) ----
    /** y = conv2d(x, w) + bias (bias [Cout] or null). */
    Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p);

    /**
     * y = conv2d(x, w) + bias + residual (residual of the output's shape and dtype: F.conv2dAdd promotes other dtypes
     * before it gets here): a residual connection's add, which a backend may fold into the bias pass.
     */
    default Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p, Tensor residual) {
        return binary(BinaryOp.ADD, conv2d(x, w, bias, p), residual);
    }
    /** dL/dx of conv2d given dL/dy (also the forward of a transposed convolution). */
    Tensor conv2dBackwardInput(Tensor gy, Tensor w, int[] xShape, Conv2dParams p);
    /** dL/dw of conv2d given the input and dL/dy. */
    Tensor conv2dBackwardWeight(Tensor x, Tensor gy, int[] wShape, Conv2dParams p);
    Tensor avgPool2d(Tensor x, int kernel, int stride);
    Tensor avgPool2dBackward(Tensor gy, int[] xShape, int kernel, int stride);
    Tensor upsampleNearest2d(Tensor x, int factor);
    Tensor upsampleNearest2dBackward(Tensor gy, int factor);
    /** Bilinear resize with align_corners=false (PyTorch's default). */
    Tensor upsampleBilinear2d(Tensor x, int outH, int outW);
    Tensor upsampleBilinear2dBackward(Tensor gy, int[] xShape);

    // ---- fused neural-network kernels (no autograd here either: NnOps records them) ----
    /**
     * Group norm of x [N, C, *] over groups of C/groups channels, with optional per-channel affine (weight, bias [C],
     * either may be null) and, when silu is set, SiLU applied to the result in the same pass.
     * Returns {y (x's shape), mean [N, groups], rstd [N, groups]} where rstd = 1/sqrt(var + eps), var biased.
     */
    Tensor[] groupNormForward(Tensor x, int groups, Tensor weight, Tensor bias, double eps, boolean silu);
    /** Gradients of {@link #groupNormForward} from the output gradient gy: {dx, dweight or null, dbias or null}. */
    Tensor[] groupNormBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int groups, boolean silu);
    /**
     * Layer norm over the last normalizedDims dims of x, with optional elementwise affine of that shape.
     * Returns {y, mean, rstd}, the statistics shaped like x without its normalized dims.
     */
    Tensor[] layerNormForward(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps);
    /** Gradients of {@link #layerNormForward}: {dx, dweight or null, dbias or null}. */
    Tensor[] layerNormBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int normalizedDims);
    /**
     * Layer norm over the last dim (no affine) with adaLN's per-sample modulation, y = norm(x) * (1 + scale) + shift for
     * x [B, L, C] and shift, scale [B, C] (any strides, of one float type), y in {@code outType}: {y, mean, rstd}. This
     * default composes the backend's own ops; a backend overrides it and {@link #layerNormModulateBackward} with one pass.
     */
    default Tensor[] layerNormModulate(Tensor x, Tensor shift, Tensor scale, double eps, DType outType) {
        try (var off = GradMode.off()) {
            Tensor[] r = layerNormForward(x, 1, null, null, eps);
            Tensor y = r[0].mul(scale.to(x.dtype()).add(1).unsqueeze(1)).add(shift.to(x.dtype()).unsqueeze(1));
            return new Tensor[] {y.to(outType), r[1], r[2]};
        }
    }

    /**
     * Gradients of {@link #layerNormModulate}: {dx in x's type, dshift and dscale in scale's}, where dx includes
     * {@code addend} (x's gradient from its other uses, of x's type and shape) when that is not null: a backend may add
     * it in the pass that writes dx.
     */
    default Tensor[] layerNormModulateBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor scale, Tensor addend) {
        try (var off = GradMode.off()) {
            Tensor g = gy.to(x.dtype());
            Tensor dx = layerNormBackward(g.mul(scale.to(x.dtype()).add(1).unsqueeze(1)), x, mean, rstd, null, null, 1)[0];
            Tensor normed = x.sub(mean.to(x.dtype()).unsqueeze(-1)).mul(rstd.to(x.dtype()).unsqueeze(-1));
            return new Tensor[] {addend == null ? dx : addend.add(dx), g.sum(1, false).to(scale.dtype()), g.mul(normed).sum(1, false).to(scale.dtype())};
        }
    }

    /**
     * The backward of {@link #gatedResidualLayerNormModulate} where the sum s = x + gate * branch gets no gradient but
     * the norm's and addend: {ds (the whole gradient of s, and so of x), dshift, dscale, dgate, dbranch}, as
     * {@link #layerNormModulateBackward} and then {@link #gatedResidualBackward} of its dx give them. This default runs
     * the two; a backend may do the residual's part in the pass that writes ds, where it would read ds back.
     */
    default Tensor[] gatedLayerNormModulateBackward(Tensor gy, Tensor s, Tensor mean, Tensor rstd, Tensor scale, Tensor addend,
                                                    Tensor gate, Tensor branch) {
        Tensor[] n = layerNormModulateBackward(gy, s, mean, rstd, scale, addend);
        Tensor[] g = gatedResidualBackward(n[0], s.dtype(), gate, branch);
        return new Tensor[] {n[0], n[1], n[2], g[1], g[2]};
    }

    /**
     * adaLN-Zero's gated residual x + gate[:, None, :] * branch for x, branch [B, L, C] and gate [B, C], typed as the
     * composed ops type it (the product in the type of gate and branch, the sum promoted with x's). This default
     * composes them; a backend overrides it with one pass.
     */
    default Tensor gatedResidual(Tensor x, Tensor gate, Tensor branch) {
        try (var off = GradMode.off()) {
            return x.add(gate.unsqueeze(1).mul(branch));
        }
    }

    /**
     * Gradients {dx, dgate, dbranch} of {@link #gatedResidual} from gy, each in its input's type: dx is gy, and the
     * product's gradient is gy in the product's type, as the composed ops' backward gives them.
     */
    default Tensor[] gatedResidualBackward(Tensor gy, DType xType, Tensor gate, Tensor branch) {
        try (var off = GradMode.off()) {
            DType pt = DType.promote(gate.dtype(), branch.dtype());
            Tensor gp = gy.to(pt);
            Tensor dBranch = gp.mul(gate.to(pt).unsqueeze(1)).to(branch.dtype());
            Tensor dGate = gp.mul(branch.to(pt)).sum(1, false).to(gate.dtype());
            return new Tensor[] {gy.to(xType), dGate, dBranch};
        }
    }

    /**
     * {s, y, mean, rstd} for s = {@link #gatedResidual}(x, gate, branch) (of x's type) and {y, mean, rstd} =
     * {@link #layerNormModulate}(s, shift, scale, eps, outType). This default runs the two; a backend may do both in
     * one pass over the rows.
     */
    default Tensor[] gatedResidualLayerNormModulate(Tensor x, Tensor gate, Tensor branch, Tensor shift, Tensor scale, double eps, DType outType) {
        Tensor s = gatedResidual(x, gate, branch);
        Tensor[] n = layerNormModulate(s, shift, scale, eps, outType);
        return new Tensor[] {s, n[0], n[1], n[2]};
    }

    /** Softmax (or log-softmax) along dim, numerically stable; a row of all -inf gives 0 (log: -inf), not NaN. */
    Tensor softmax(Tensor x, int dim, boolean log);
    /** dx from the forward's output y and the gradient gy (the input is not needed). */
    Tensor softmaxBackward(Tensor y, Tensor gy, int dim, boolean log);

    /**
     * Scaled dot-product attention: out = softmax(q k^T * scale + mask) v for q [..., Lq, D], k [..., Lk, D],
     * v [..., Lk, Dv], mask additive and broadcastable to [..., Lq, Lk] (or null). Returns {out, aux} where aux is
     * whatever {@link #attentionBackward} needs besides the inputs. This default composes the backend's own matmul and
     * softmax kernels and keeps the probabilities [..., Lq, Lk] as aux; a backend with a fused kernel overrides both
     * methods (and may keep, say, per-row log-sum-exp instead).
     */
    default Tensor[] attention(Tensor q, Tensor k, Tensor v, Tensor mask, double scale) {
        Tensor s = attentionScores(q, k, scale);
        if (mask != null) s = binary(BinaryOp.ADD, s, mask);
        Tensor p = softmax(s, s.rank() - 1, false);
        return new Tensor[] {matmul(p, v), p};
    }

    /**
     * The composed attention's scores, q k^T * scale ([..., Lq, Lk]). This default scales q first (Lq*D multiplies
     * instead of Lq*Lk); a backend may fold the scale into the product instead.
     */
    default Tensor attentionScores(Tensor q, Tensor k, double scale) {
        return matmul(unary(UnaryOp.AFFINE, q, scale, 0), k.detach().mT());
    }

    /**
     * Gradients of {@link #attention} from gOut: {dq, dk, dv, dmask}; dmask (summed to the mask's shape) only when
     * maskGrad is set, else null. {@code out} and {@code aux} are what the forward returned.
     */
    default Tensor[] attentionBackward(Tensor gOut, Tensor q, Tensor k, Tensor v, Tensor mask, double scale,
                                       Tensor out, Tensor aux, boolean maskGrad) {
        return composedAttentionBackward(gOut, q, k, v, mask, scale, aux.detach(), maskGrad);
    }

    /**
     * Gradients {dq, dk, dv} of unmasked attention from the per-row log-sum-exp of its scaled scores (lse [..., Lq], as a
     * fused forward keeps it) rather than from the probabilities: P = exp(q k^T * scale - lse) is recomputed with the
     * backend's matmul and the backward then runs as the composed path's does. Its [..., Lq, Lk] temporaries live only
     * during this call. A backend takes this where its matmuls beat its fused backward (CUDA's TF32 attention). It gives
     * those temporaries back with {@link #releaseNow}, so it relies on the backend's matmul, unary, binary and
     * softmaxBackward returning new storage, never an operand or a view of one.
     */
    default Tensor[] attentionBackwardFromLse(Tensor gOut, Tensor q, Tensor k, Tensor v, double scale, Tensor lse) {
        Tensor qs = unary(UnaryOp.AFFINE, q.detach(), scale, 0);
        Tensor s = matmul(qs, k.detach().mT());
        Tensor shifted = binary(BinaryOp.SUB, s, lse.detach().unsqueeze(lse.rank()));
        releaseNow(qs, s);
        Tensor p = unary(UnaryOp.EXP, shifted, 0, 0);
        releaseNow(shifted);
        Tensor[] d = composedAttentionBackward(gOut, q, k, v, null, scale, p, false);
        releaseNow(p);
        return new Tensor[] {d[0], d[1], d[2]};
    }

    private Tensor[] composedAttentionBackward(Tensor gOut, Tensor q, Tensor k, Tensor v, Tensor mask, double scale,
                                               Tensor p, boolean maskGrad) {
        Tensor dv = matmul(p.mT(), gOut);
        Tensor dp = matmul(gOut, v.detach().mT());
        Tensor ds = softmaxBackward(p, dp, p.rank() - 1, false);   // gradient at the (scaled, masked) scores
        releaseNow(dp);
        Tensor dsk = matmul(ds, k), dsq = matmul(ds.mT(), q);
        Tensor dq = unary(UnaryOp.AFFINE, dsk, scale, 0);
        Tensor dk = unary(UnaryOp.AFFINE, dsq, scale, 0);
        releaseNow(dsk, dsq);
        Tensor dmask = maskGrad && mask != null ? ds.detach().sumTo(mask.shape()) : null;
        if (dmask == null || dmask.storage() != ds.storage()) releaseNow(ds);   // sumTo may hand ds itself back
        return new Tensor[] {dq, dk, dv, dmask};
    }

    /**
     * Unmasked {@link #attention} over q, k, v packed as qkv [3, ..., L, D] (any strides): {out, aux, packed}, where
     * packed is the qkv the backend read (this default makes it contiguous once) and goes back to
     * {@link #attentionPackedBackward} with out and aux. A backend whose kernels read strided views overrides both.
     */
    default Tensor[] attentionPacked(Tensor qkv, double scale) {
        Tensor packed = contiguous(qkv);
        Tensor[] r = attention(packed.select(0, 0), packed.select(0, 1), packed.select(0, 2), null, scale);
        return new Tensor[] {r[0], r[1], packed};
    }

    /** The gradient of {@link #attentionPacked} with respect to qkv, one tensor of packed's shape. */
    default Tensor attentionPackedBackward(Tensor gOut, Tensor packed, double scale, Tensor out, Tensor aux) {
        Tensor[] d = attentionBackward(gOut, packed.select(0, 0), packed.select(0, 1), packed.select(0, 2), null, scale, out, aux, false);
        return Tensor.stack(0, d[0], d[1], d[2]);
    }

    /**
     * Gives the memory of temporaries back now rather than when the garbage collector finds them unreachable: for
     * tensors the caller made itself (each owning its storage) that nothing outlives the call with, views included.
     * Large [..., L, L] temporaries that wait for the collector make it run more often, and each run ages the step's
     * live activations towards the old generation, where they are freed late. The CPU backend leaves its arrays to the
     * collector (this default).
     */
    default void releaseNow(Tensor... temporaries) {}

    // ------------------------------------------------------------------ in-place updates (optimizers, EMA)
    // These write into their first operands and record no graph. The defaults compose the backend's own ops;
    // backends override them with one pass per tensor. Gradients are only read: autograd may share one between leaves.

    /** One Adam(W) step on param, expAvg and expAvgSq in place (same shape and dtype as param; grad too). */
    default void adamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamUpdate s) {
        try (var gm = GradMode.off()) {
            Tensor p = param.detach(), g = grad.detach();
            if (s.l2() != 0) g = g.add(p.mul(s.l2()));
            Tensor m = expAvg.mul(s.beta1()).add(g.mul(1 - s.beta1()));
            Tensor v = expAvgSq.mul(s.beta2()).add(g.square().mul(1 - s.beta2()));
            Tensor denom = v.sqrt().affine(1 / s.biasCorrection2Sqrt(), s.eps());
            Tensor p2 = p.mul(s.decay()).sub(m.div(denom).mul(s.lr() / s.biasCorrection1()));
            copyInto(expAvg, m);
            copyInto(expAvgSq, v);
            copyInto(param, p2);
        }
    }

    /**
     * {@link #adamUpdate} for each params[i] with grads[i], expAvgs[i] and expAvgSqs[i], all with the same scalars: an
     * optimizer's whole step, which a backend may run in a few passes over many tensors instead of one per parameter.
     */
    default void adamUpdateAll(java.util.List<Tensor> params, java.util.List<Tensor> grads, java.util.List<Tensor> expAvgs,
                               java.util.List<Tensor> expAvgSqs, AdamUpdate s) {
        for (int i = 0; i < params.size(); i++) adamUpdate(params.get(i), grads.get(i), expAvgs.get(i), expAvgSqs.get(i), s);
    }

    /** {@link #lerpInto} for each dsts[i] and srcs[i] with one weight (a whole EMA update). */
    default void lerpIntoAll(java.util.List<Tensor> dsts, java.util.List<Tensor> srcs, double weight) {
        for (int i = 0; i < dsts.size(); i++) lerpInto(dsts.get(i), srcs.get(i), weight);
    }

    /** dst += weight * (src - dst) in place (an EMA step with weight = 1 - decay); src is only read. */
    default void lerpInto(Tensor dst, Tensor src, double weight) {
        try (var gm = GradMode.off()) {
            Tensor d = dst.detach();
            copyInto(dst, d.add(src.detach().to(dst.dtype()).sub(d).mul(weight)));
        }
    }

    /**
     * Gradient clipping's scaling: xs[i] * min(1, maxNorm / (norm + 1e-6)) for each tensor, as new tensors (the inputs
     * are only read), with {@code norm} a 0-d f64 tensor on this backend that is not read back. The factor is computed
     * in f64 and rounded to each tensor's dtype, as a multiply in that dtype does; a NaN norm gives NaN.
     */
    default java.util.List<Tensor> clipScaleAll(java.util.List<Tensor> xs, Tensor norm, double maxNorm) {
        try (var gm = GradMode.off()) {
            Tensor coef = full(new int[0], DType.F64, maxNorm).div(norm.add(1e-6)).clamp(Double.NEGATIVE_INFINITY, 1);
            java.util.Map<DType, Tensor> coefIn = new java.util.EnumMap<>(DType.class);
            java.util.List<Tensor> out = new java.util.ArrayList<>(xs.size());
            for (Tensor x : xs) out.add(x.detach().mul(coefIn.computeIfAbsent(x.dtype(), coef::to)));
            return out;
        }
    }

    /** The sum of the squares of every element of every tensor (all on this backend), accumulated in f64: a 0-d f64 tensor. */
    default Tensor sumOfSquares(java.util.List<Tensor> xs) {
        try (var gm = GradMode.off()) {
            Tensor total = full(new int[0], DType.F64, 0);
            for (Tensor x : xs) total = total.add(x.detach().to(DType.F64).square().sum());
            return total;
        }
    }
}
