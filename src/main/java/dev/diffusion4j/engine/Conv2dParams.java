package dev.diffusion4j.engine;

/** Stride, zero padding, dilation and groups of a 2-D convolution (NCHW input, [Cout, Cin/groups, kH, kW] weight). */
public record Conv2dParams(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {
    public Conv2dParams {
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || groups < 1 || padH < 0 || padW < 0)
            throw new IllegalArgumentException("invalid convolution parameters: " + this);
    }

    public static Conv2dParams of(int stride, int padding) { return new Conv2dParams(stride, stride, padding, padding, 1, 1, 1); }

    public Conv2dParams withGroups(int g) { return new Conv2dParams(strideH, strideW, padH, padW, dilationH, dilationW, g); }

    public int outH(int h, int kh) { return (h + 2 * padH - dilationH * (kh - 1) - 1) / strideH + 1; }
    public int outW(int w, int kw) { return (w + 2 * padW - dilationW * (kw - 1) - 1) / strideW + 1; }

    /** Output shape of conv2d for input [N,C,H,W] and weight [O, C/g, kh, kw]; checks channel counts. */
    public int[] outputShape(int[] x, int[] w) {
        if (x.length != 4 || w.length != 4) throw new IllegalArgumentException("conv2d expects 4-D input and weight, got " + Shape.str(x) + " and " + Shape.str(w));
        if (x[1] != w[1] * groups) throw new IllegalArgumentException("conv2d: input has " + x[1] + " channels, weight expects " + w[1] * groups + " (" + Shape.str(w) + ", groups=" + groups + ")");
        if (w[0] % groups != 0) throw new IllegalArgumentException("conv2d: " + w[0] + " output channels not divisible by groups=" + groups);
        int oh = outH(x[2], w[2]), ow = outW(x[3], w[3]);
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("conv2d: input " + Shape.str(x) + " too small for kernel " + w[2] + "x" + w[3]);
        return new int[] {x[0], w[0], oh, ow};
    }
}
