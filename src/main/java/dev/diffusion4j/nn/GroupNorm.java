package dev.diffusion4j.nn;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.MemoryFormat;
import dev.diffusion4j.engine.Tensor;

/** Group normalisation over [N, C, *] with per-channel affine weight (ones) and bias (zeros). */
public final class GroupNorm extends Module {
    private final int groups, channels;
    private final double eps;
    private final Parameter weight, bias;

    public GroupNorm(int groups, int channels) { this(groups, channels, 1e-5, true); }

    public GroupNorm(int groups, int channels, double eps, boolean affine) {
        if (groups <= 0 || channels % groups != 0)
            throw new IllegalArgumentException("GroupNorm: " + channels + " channels cannot be split into " + groups + " groups");
        this.groups = groups;
        this.channels = channels;
        this.eps = eps;
        this.weight = affine ? registerParameter("weight", Tensor.ones(channels)) : null;
        this.bias = affine ? registerParameter("bias", Tensor.zeros(channels)) : null;
    }

    @Override public Tensor forward(Tensor x) { return F.groupNorm(x, groups, w(), b(), eps); }

    /** silu(forward(x)) in one fused kernel: the norm-activation pair that opens every U-Net residual block. */
    public Tensor forwardSilu(Tensor x) { return F.groupNormSilu(x, groups, w(), b(), eps); }

    /** forward, or with {@code silu} forwardSilu, of x in the given format ([N, C, *] or channels-last [N, *, C]). */
    public Tensor forward(Tensor x, boolean silu, MemoryFormat format) { return F.groupNorm(x, groups, w(), b(), eps, silu, format); }

    /** forward(x + shift, silu, format) for a per-sample channel term shift [N, C], added as x is read where the backend can. */
    public Tensor forward(Tensor x, Tensor shift, boolean silu, MemoryFormat format) {
        return F.groupNorm(x, shift, groups, w(), b(), eps, silu, format);
    }

    private Tensor w() { return weight == null ? null : weight.data(); }
    private Tensor b() { return bias == null ? null : bias.data(); }

    public int groups() { return groups; }
    public int channels() { return channels; }
    public double eps() { return eps; }
    /** Null without affine. */
    public Parameter weight() { return weight; }
    public Parameter bias() { return bias; }

    @Override protected String extraRepr() {
        return groups + ", " + channels + ", eps=" + Repr.num(eps) + ", affine=" + Repr.bool(weight != null);
    }
}
