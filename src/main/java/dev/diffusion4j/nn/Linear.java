package dev.diffusion4j.nn;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;

/** y = x W^T + b over the last dim; weight [out, in], bias [out]. */
public final class Linear extends Module {
    private final int inFeatures, outFeatures;
    private final Parameter weight, bias;

    public Linear(int inFeatures, int outFeatures, Generator gen) { this(inFeatures, outFeatures, true, gen); }

    public Linear(int inFeatures, int outFeatures, boolean bias, Generator gen) {
        if (inFeatures <= 0 || outFeatures <= 0) throw new IllegalArgumentException("Linear needs positive sizes, got " + inFeatures + " -> " + outFeatures);
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        double bound = Init.defaultBound(inFeatures);
        this.weight = registerParameter("weight", Init.uniform(gen, bound, outFeatures, inFeatures));
        this.bias = bias ? registerParameter("bias", Init.uniform(gen, bound, outFeatures)) : null;
    }

    /**
     * A layer holding the given initial values (weight [out, in], bias [out] or null): for models with their own
     * initialisation, which then draw each weight once rather than over PyTorch's default.
     */
    public Linear(Tensor weight, Tensor bias) {
        if (weight.rank() != 2 || (bias != null && (bias.rank() != 1 || bias.shape(0) != weight.shape(0))))
            throw new IllegalArgumentException("Linear needs weight [out, in] and bias [out], got " + java.util.Arrays.toString(weight.shape())
                    + (bias == null ? "" : " and " + java.util.Arrays.toString(bias.shape())));
        this.inFeatures = weight.shape(1);
        this.outFeatures = weight.shape(0);
        this.weight = registerParameter("weight", weight);
        this.bias = bias == null ? null : registerParameter("bias", bias);
    }

    @Override public Tensor forward(Tensor x) {
        return F.linear(checkInput(x), weight.data(), bias == null ? null : bias.data());
    }

    /** op(forward(x)) for an elementwise activation op, which a backend may apply in the product when no gradient is taken. */
    public Tensor forward(Tensor x, UnaryOp op) {
        return F.linear(checkInput(x), weight.data(), bias == null ? null : bias.data(), op);
    }

    /**
     * forward(op(h)) with op recomputed in the backward rather than kept ({@link F#linearOf}): for an activation
     * between two Linear layers, whose output is the widest tensor of a transformer MLP.
     */
    public Tensor forwardOf(UnaryOp op, Tensor h) {
        return F.linearOf(op, checkInput(h), weight.data(), bias == null ? null : bias.data());
    }

    /**
     * next.forward(op(forward(x))) as {@link F#linearOfLinear}: op's output kept for the backward, and a backend may write
     * it beside op's input from this layer's product.
     */
    public Tensor forwardInto(UnaryOp op, Linear next, Tensor x) {
        return F.linearOfLinear(checkInput(x), weight.data(), bias == null ? null : bias.data(), op, next.weight.data(),
                next.bias == null ? null : next.bias.data());
    }

    private Tensor checkInput(Tensor x) {
        if (x.rank() == 0 || x.shape(-1) != inFeatures)
            throw new IllegalArgumentException("Linear expects inputs [..., " + inFeatures + "], got " + java.util.Arrays.toString(x.shape()));
        return x;
    }

    public Parameter weight() { return weight; }
    /** Null when built without bias. */
    public Parameter bias() { return bias; }
    public int inFeatures() { return inFeatures; }
    public int outFeatures() { return outFeatures; }

    @Override protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + Repr.bool(bias != null);
    }
}
