package dev.diffusion4j.engine;

/**
 * Functional neural-network ops (like torch.nn.functional). Activations are elementwise kernels; normalisations,
 * softmax and attention are fused backend kernels with their own backward; losses and dropout are compositions whose
 * gradients come from their parts.
 */
public final class F {
    private F() {}

    public static Tensor silu(Tensor x) { return ElementwiseOps.unary(UnaryOp.SILU, x, 0, 0); }
    public static Tensor relu(Tensor x) { return ElementwiseOps.unary(UnaryOp.RELU, x, 0, 0); }
    /** Exact GELU (erf form), PyTorch's default. */
    public static Tensor gelu(Tensor x) { return ElementwiseOps.unary(UnaryOp.GELU_ERF, x, 0, 0); }
    /** GELU with the tanh approximation (approximate='tanh'). */
    public static Tensor geluTanh(Tensor x) { return ElementwiseOps.unary(UnaryOp.GELU_TANH, x, 0, 0); }
    public static Tensor softplus(Tensor x) { return ElementwiseOps.unary(UnaryOp.SOFTPLUS, x, 0, 0); }
    public static Tensor sigmoid(Tensor x) { return x.sigmoid(); }

    /** y = x W^T + b for x [..., in], W [out, in], b [out] or null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) { return LinalgOps.linear(x, weight, bias); }

    /**
     * activation(x W^T + b) for an elementwise activation without parameters (e.g. {@link UnaryOp#GELU_TANH}; AFFINE,
     * POW and CLAMP are refused): the values of the two ops, but with no gradient to take a backend may apply the
     * activation inside the product (CUDA: cuBLASLt's GELU epilogue).
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias, UnaryOp activation) {
        return LinalgOps.linear(x, weight, bias, activation);
    }

    /**
     * linear(op(h), weight, bias) for an elementwise activation op, with the activation recomputed in the backward
     * rather than kept from the forward: what a transformer MLP's second layer does without holding its widest tensor.
     */
    public static Tensor linearOf(UnaryOp op, Tensor h, Tensor weight, Tensor bias) { return NnOps.linearOfUnary(op, h, weight, bias, true); }

    /**
     * linear(op(h), weight, bias) as one op that keeps op(h) for its backward (as the composed ops do) where
     * {@code recompute} is false: then a backend may still take op's gradient inside the product that forms its input
     * gradient (CUDA, bf16 tanh GELU: cuBLASLt's DGELU epilogue), one elementwise pass fewer than the composed ops.
     */
    public static Tensor linearOf(UnaryOp op, Tensor h, Tensor weight, Tensor bias, boolean recompute) {
        return NnOps.linearOfUnary(op, h, weight, bias, recompute);
    }

    /**
     * linear(op(linear(x, w1, b1)), w2, b2), a transformer MLP, as {@link #linear} then {@link #linearOf} keeping op's
     * output: the same values and gradients, and a backend may also write op's input and output from the first product
     * (CUDA, bf16 tanh GELU: cuBLASLt's GELU_AUX_BIAS epilogue), one elementwise pass fewer in the forward.
     */
    public static Tensor linearOfLinear(Tensor x, Tensor w1, Tensor b1, UnaryOp op, Tensor w2, Tensor b2) {
        return NnOps.linearOfLinear(x, w1, b1, op, w2, b2);
    }

    /** Softmax along dim (fused, numerically stable; a row of all -inf gives zeros rather than NaN). */
    public static Tensor softmax(Tensor x, int dim) { return NnOps.softmax(x, dim, false); }

    /** log(softmax(x)) along dim, computed as x - max - log(sum(exp(x - max))). */
    public static Tensor logSoftmax(Tensor x, int dim) { return NnOps.softmax(x, dim, true); }

    /**
     * Group normalisation of x [N, C, *]: each sample's channels are split into {@code groups} groups, each group is
     * normalised to mean 0 and variance 1 (biased, plus eps), then scaled by weight [C] and shifted by bias [C]
     * (either may be null).
     */
    public static Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        return NnOps.groupNorm(x, groups, weight, bias, eps, false);
    }

    /** silu(groupNorm(x, ...)) in one fused kernel (the U-Net's norm-activation pair), forward and backward. */
    public static Tensor groupNormSilu(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        return NnOps.groupNorm(x, groups, weight, bias, eps, true);
    }

    /** groupNorm, or with {@code silu} groupNormSilu, of x in the given format ([N, C, *] or [N, *, C]). */
    public static Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps, boolean silu, MemoryFormat format) {
        return NnOps.groupNorm(x, groups, weight, bias, eps, silu, format);
    }

    /**
     * groupNorm(x + shift, ...) for a per-sample channel term shift [N, C] (null: none), broadcast over the pixels. On
     * a channels-last backend (CUDA) the sum is never written out: what a convolution's bias pass would have done,
     * done as the norm reads x.
     */
    public static Tensor groupNorm(Tensor x, Tensor shift, int groups, Tensor weight, Tensor bias, double eps, boolean silu, MemoryFormat format) {
        return NnOps.groupNorm(x, shift, groups, weight, bias, eps, silu, format);
    }

    /**
     * Layer normalisation over the last {@code normalizedDims} dims of x, with elementwise weight and bias of that
     * trailing shape (either may be null).
     */
    public static Tensor layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        return NnOps.layerNorm(x, normalizedDims, weight, bias, eps);
    }

    /**
     * adaLN-Zero's gated residual x + gate[:, None, :] * branch for x, branch [B, L, C] and gate [B, C]: the types of the
     * composed ops (under autocast an f32 x with a bf16 gate and branch gives f32) and their values, on CUDA in one pass
     * that rounds once (within one rounding of the product's type of the composed result).
     */
    public static Tensor gatedResidual(Tensor x, Tensor gate, Tensor branch) { return NnOps.gatedResidual(x, gate, branch); }

    /**
     * adaLN's modulated layer norm: norm(x) * (1 + scale) + shift, x [B, L, C] normalised over C without affine
     * parameters, shift and scale [B, C] per sample (broadcast over the L tokens). One fused op on CUDA. Under autocast
     * an f32 x gives the result in the autocast type, as the Linear it feeds would cast it.
     */
    public static Tensor layerNormModulate(Tensor x, Tensor shift, Tensor scale, double eps) {
        return NnOps.layerNormModulate(x, shift, scale, eps);
    }

    /**
     * {s, layerNormModulate(s, shift, scale, eps)} for s = gatedResidual(x, gate, branch): an adaLN-Zero branch added to
     * the residual stream and the next sublayer's modulated norm of the sum, as the two ops give them (values, types and
     * gradients); on CUDA one pass where the types allow, which reads the sum from registers instead of memory.
     */
    public static Tensor[] gatedResidualLayerNormModulate(Tensor x, Tensor gate, Tensor branch, Tensor shift, Tensor scale, double eps) {
        return NnOps.gatedResidualLayerNormModulate(x, gate, branch, shift, scale, eps);
    }

    /**
     * softmax(q k^T * scale + mask) v for q [..., Lq, D], k [..., Lk, D], v [..., Lk, Dv] (typically [B, H, L, D]);
     * mask is additive (use -inf to block), broadcastable to [..., Lq, Lk], or null; scale NaN means 1/sqrt(D).
     * One backend op (a GPU backend may fuse it); memory O(Lq * Lk) per batch-head on CPU.
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor mask, double scale) {
        return NnOps.attention(q, k, v, mask, scale);
    }

    /**
     * Unmasked attention over q, k, v packed as qkv [3, ..., L, D] (scale NaN: 1/sqrt(D)): what a transformer's fused
     * qkv projection gives; its gradient comes back packed too, without the three full-size partial gradients that
     * slicing q, k and v out of one tensor would cost.
     */
    public static Tensor scaledDotProductAttentionPacked(Tensor qkv, double scale) {
        return NnOps.attentionPacked(qkv, scale);
    }

    /** scaledDotProductAttention with no mask and scale 1/sqrt(D). */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v) {
        return NnOps.attention(q, k, v, null, Double.NaN);
    }

    /**
     * Rows of weight [V, D] picked by integer ids (i64, any shape): the result has shape [...ids, D]. Ids outside
     * [0, V) are rejected with a message naming the id.
     */
    public static Tensor embedding(Tensor weight, Tensor ids) { return NnOps.embedding(weight, ids); }

    /** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p); identity when not training. */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator gen) {
        if (!training || p == 0) return x;
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        Tensor mask = Backends.get(x.device()).dropoutMask(x.shape(), x.dtype(), gen.seed(), gen.advance(Philox.countersFor(x.numel())), p);
        return x.mul(mask);
    }

    public static Tensor mseLoss(Tensor input, Tensor target) { return input.sub(target).square().mean(); }

    /** Mean cross-entropy of logits [N, C] against class indices [N] (i64). */
    public static Tensor crossEntropy(Tensor logits, Tensor labels) {
        if (logits.rank() != 2) throw new IllegalArgumentException("crossEntropy expects logits [N, C], got " + Shape.str(logits.shape()));
        Tensor logp = logSoftmax(logits, 1);
        Tensor picked = logp.gather(1, labels.reshape(-1, 1));
        return picked.mean().neg();
    }

    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        return ConvOps.conv2d(x, w, bias, Conv2dParams.of(stride, padding));
    }

    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) { return ConvOps.conv2d(x, w, bias, p); }

    /**
     * conv2d(x, w, bias) + residual in one op: a residual connection (residual of the output's shape) whose add a GPU
     * does in the bias pass. The values of {@code conv2d(...).add(residual)} on the CPU and in f32; in bf16 on a GPU
     * the three terms are summed before one rounding where the composed form rounds twice. A residual of another
     * dtype promotes.
     */
    public static Tensor conv2dAdd(Tensor x, Tensor w, Tensor bias, Conv2dParams p, Tensor residual) {
        return ConvOps.conv2dAdd(x, w, bias, p, java.util.Objects.requireNonNull(residual, "residual"));
    }

    /**
     * conv2d of x in the given format ([N, C, H, W], or channels-last [N, H, W, C] with the output likewise), plus bias
     * and residual (either may be null; a residual has the output's shape and format). The weight is [Cout, Cin/groups,
     * kh, kw] in both. The bias is [Cout], or channels-last also [N, Cout], one per sample (a U-Net block's bias plus
     * its time embedding, added in the same pass).
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p, Tensor residual, MemoryFormat format) {
        return ConvOps.conv2dAdd(x, w, bias, p, residual, format);
    }

    /** Transposed convolution with weight [Cin, Cout/groups, kh, kw]. */
    public static Tensor convTranspose2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p, int outputPadding) {
        return ConvOps.convTranspose2d(x, w, bias, p, outputPadding, outputPadding);
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride) { return ConvOps.avgPool2d(x, kernel, stride); }

    /** Nearest-neighbour upsampling by an integer factor. */
    public static Tensor upsampleNearest(Tensor x, int factor) { return ConvOps.upsampleNearest(x, factor); }

    /** Nearest-neighbour upsampling of x in the given format ([N, C, H, W] or channels-last [N, H, W, C]). */
    public static Tensor upsampleNearest(Tensor x, int factor, MemoryFormat format) { return ConvOps.upsampleNearest(x, factor, format); }

    /** Bilinear resize to outH x outW (align_corners=false). */
    public static Tensor upsampleBilinear(Tensor x, int outH, int outW) { return ConvOps.upsampleBilinear(x, outH, outW); }
}
