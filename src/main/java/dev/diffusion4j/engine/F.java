package dev.diffusion4j.engine;

/**
 * Functional neural-network ops (like torch.nn.functional). Activations are elementwise kernels; softmax,
 * losses and dropout are compositions whose gradients come from their parts.
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
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Tensor y = x.matmul(weight.mT());
        return bias == null ? y : y.add(bias);
    }

    public static Tensor softmax(Tensor x, int dim) {
        Tensor m = x.detach().max(dim, true);
        Tensor e = x.sub(m).exp();
        return e.div(e.sum(dim, true));
    }

    public static Tensor logSoftmax(Tensor x, int dim) { return x.sub(x.logsumexp(dim, true)); }

    /** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p); identity when not training. */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator gen) {
        if (!training || p == 0) return x;
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        Tensor keep = Tensor.rand(gen, x.dtype(), x.device(), x.shape()).ge(x.scalarLike(p));
        return x.mul(keep.mul(1.0 / (1 - p)));
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

    /** Transposed convolution with weight [Cin, Cout/groups, kh, kw]. */
    public static Tensor convTranspose2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p, int outputPadding) {
        return ConvOps.convTranspose2d(x, w, bias, p, outputPadding, outputPadding);
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride) { return ConvOps.avgPool2d(x, kernel, stride); }

    /** Nearest-neighbour upsampling by an integer factor. */
    public static Tensor upsampleNearest(Tensor x, int factor) { return ConvOps.upsampleNearest(x, factor); }

    /** Bilinear resize to outH x outW (align_corners=false). */
    public static Tensor upsampleBilinear(Tensor x, int outH, int outW) { return ConvOps.upsampleBilinear(x, outH, outW); }
}
