package dev.diffusion4j.nn;

import dev.diffusion4j.engine.Conv2dParams;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.MemoryFormat;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/** 2-D convolution over [N, C, H, W]: weight [out, in/groups, kH, kW], optional bias [out]; PyTorch's default init. */
public final class Conv2d extends Module {
    private final int inChannels, outChannels, kernelH, kernelW;
    private final Conv2dParams params;
    private final Parameter weight, bias;

    /** Stride 1, no padding, with bias. */
    public Conv2d(int inChannels, int outChannels, int kernel, Generator gen) { this(inChannels, outChannels, kernel, 1, 0, gen); }

    /** Square kernel, stride and padding, with bias. */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, Generator gen) {
        this(inChannels, outChannels, kernel, kernel, Conv2dParams.of(stride, padding), true, gen);
    }

    public Conv2d(int inChannels, int outChannels, int kernelH, int kernelW, Conv2dParams params, boolean bias, Generator gen) {
        int g = params.groups();
        if (inChannels <= 0 || outChannels <= 0 || kernelH <= 0 || kernelW <= 0)
            throw new IllegalArgumentException("Conv2d needs positive sizes, got " + inChannels + " -> " + outChannels + ", kernel " + kernelH + "x" + kernelW);
        if (g <= 0 || inChannels % g != 0 || outChannels % g != 0)
            throw new IllegalArgumentException("Conv2d: groups=" + g + " must divide both " + inChannels + " input and " + outChannels + " output channels");
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelH = kernelH;
        this.kernelW = kernelW;
        this.params = params;
        int[] shape = {outChannels, inChannels / g, kernelH, kernelW};
        double bound = Init.defaultBound(Init.fanIn(shape));
        this.weight = registerParameter("weight", Init.uniform(gen, bound, shape));
        this.bias = bias ? registerParameter("bias", Init.uniform(gen, bound, outChannels)) : null;
    }

    @Override public Tensor forward(Tensor x) { return F.conv2d(x, weight.data(), bias == null ? null : bias.data(), params); }

    /**
     * The convolution without its bias, for a caller that adds the bias together with another per-channel term (one
     * pass over the output instead of two); {@link #bias()} is then the caller's to add.
     */
    public Tensor forwardWithoutBias(Tensor x) { return F.conv2d(x, weight.data(), null, params); }

    /** forward(x) + residual as one op ({@link F#conv2dAdd}): the add of a residual connection folded into the bias pass. */
    public Tensor forwardAdd(Tensor x, Tensor residual) {
        return F.conv2dAdd(x, weight.data(), bias == null ? null : bias.data(), params, residual);
    }

    /**
     * The convolution of x in the given format (channels-last: x [N, H, W, C], output likewise) plus, when given, the
     * residual, added in the bias pass where there is a bias; with {@code withBias} false the bias is the caller's to add, as
     * {@link #forwardWithoutBias}.
     */
    public Tensor forward(Tensor x, Tensor residual, boolean withBias, MemoryFormat format) {
        return F.conv2d(x, weight.data(), bias == null || !withBias ? null : bias.data(), params, residual, format);
    }

    public Parameter weight() { return weight; }
    /** Null when built without bias. */
    public Parameter bias() { return bias; }
    public Conv2dParams params() { return params; }
    public int inChannels() { return inChannels; }
    public int outChannels() { return outChannels; }

    @Override protected String extraRepr() {
        StringBuilder sb = new StringBuilder().append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=").append(Repr.pair(kernelH, kernelW))
                .append(", stride=").append(Repr.pair(params.strideH(), params.strideW()));
        if (params.padH() != 0 || params.padW() != 0) sb.append(", padding=").append(Repr.pair(params.padH(), params.padW()));
        if (params.dilationH() != 1 || params.dilationW() != 1) sb.append(", dilation=").append(Repr.pair(params.dilationH(), params.dilationW()));
        if (params.groups() != 1) sb.append(", groups=").append(params.groups());
        if (bias == null) sb.append(", bias=False");
        return sb.toString();
    }
}
