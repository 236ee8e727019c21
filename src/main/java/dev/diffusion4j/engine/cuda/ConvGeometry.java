package dev.diffusion4j.engine.cuda;

/**
 * The shape of a 2-D convolution: input NCHW (n, c, h, w), filter KCRS (k, c/groups, r, s),
 * padding, stride, dilation and groups; output NKPQ.
 */
public record ConvGeometry(int n, int c, int h, int w, int k, int r, int s,
        int padH, int padW, int strideH, int strideW, int dilationH, int dilationW, int groups) {

    public ConvGeometry {
        if (n < 1 || c < 1 || h < 1 || w < 1 || k < 1 || r < 1 || s < 1) throw new IllegalArgumentException("sizes must be >= 1: " + this);
        if (padH < 0 || padW < 0 || strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || groups < 1) {
            throw new IllegalArgumentException("bad padding/stride/dilation/groups: " + this);
        }
        if (c % groups != 0 || k % groups != 0) throw new IllegalArgumentException("channels " + c + " and " + k + " must divide by groups " + groups);
        if (outH(h, r, padH, strideH, dilationH) < 1 || outH(w, s, padW, strideW, dilationW) < 1) {
            throw new IllegalArgumentException("the filter does not fit the padded input: " + this);
        }
    }

    /** Square filter, equal padding and stride, no dilation, one group. */
    public static ConvGeometry of(int n, int c, int h, int w, int k, int kernel, int pad, int stride) {
        return new ConvGeometry(n, c, h, w, k, kernel, kernel, pad, pad, stride, stride, 1, 1, 1);
    }

    public int outH() {
        return outH(h, r, padH, strideH, dilationH);
    }

    public int outW() {
        return outH(w, s, padW, strideW, dilationW);
    }

    private static int outH(int in, int f, int pad, int stride, int dil) {
        return (in + 2 * pad - dil * (f - 1) - 1) / stride + 1;
    }

    public long inputElements() {
        return (long) n * c * h * w;
    }

    public long filterElements() {
        return (long) k * (c / groups) * r * s;
    }

    public long outputElements() {
        return (long) n * k * outH() * outW();
    }

    /** Multiply-adds times two, for TFLOP/s. */
    public double flops() {
        return 2.0 * outputElements() * (c / groups) * r * s;
    }
}
