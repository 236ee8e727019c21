package dev.diffusion4j.engine.cpu;

/**
 * Shape of a 2-D convolution on NCHW data: input n x cIn x h x w, weight cOut x (cIn/groups) x kh x kw,
 * output n x cOut x outH x outW, with stride (sh, sw), zero padding (ph, pw) and dilation (dh, dw).
 */
public record ConvGeometry(int n, int cIn, int h, int w, int cOut, int kh, int kw,
                           int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
    public ConvGeometry {
        if (n < 1 || cIn < 1 || h < 1 || w < 1 || cOut < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1
                || dh < 1 || dw < 1 || groups < 1 || ph < 0 || pw < 0)
            throw new IllegalArgumentException("invalid convolution geometry: " + describe(n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, groups));
        if (cIn % groups != 0 || cOut % groups != 0)
            throw new IllegalArgumentException("channels (in " + cIn + ", out " + cOut + ") must be divisible by groups " + groups);
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        if (h + 2 * ph - dh * (kh - 1) < 1 || w + 2 * pw - dw * (kw - 1) < 1)
            throw new IllegalArgumentException("kernel " + kh + "x" + kw + " (dilation " + dh + "x" + dw
                    + ") is larger than the padded input " + (h + 2 * ph) + "x" + (w + 2 * pw));
        if ((long) n * cIn * h * w > Integer.MAX_VALUE || (long) n * cOut * oh * ow > Integer.MAX_VALUE
                || (long) cOut * (cIn / groups) * kh * kw > Integer.MAX_VALUE)
            throw new IllegalArgumentException("convolution tensors exceed 2^31 elements: " + describe(n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, groups));
    }

    /** Square kernel, same stride and padding on both axes, no dilation, one group. */
    public static ConvGeometry of(int n, int cIn, int h, int w, int cOut, int kh, int kw, int stride, int pad) {
        return new ConvGeometry(n, cIn, h, w, cOut, kh, kw, stride, stride, pad, pad, 1, 1, 1);
    }

    public int outH() { return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
    public int outW() { return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }
    public int cInPerGroup() { return cIn / groups; }
    public int cOutPerGroup() { return cOut / groups; }
    public int inputSize() { return n * cIn * h * w; }
    public int outputSize() { return n * cOut * outH() * outW(); }
    public int weightSize() { return cOut * cInPerGroup() * kh * kw; }

    /** Multiply-adds of the forward pass (each backward pass costs the same). */
    public long macs() { return (long) n * cOut * outH() * outW() * cInPerGroup() * kh * kw; }

    public ConvGeometry withBatch(int batch) {
        return new ConvGeometry(batch, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, groups);
    }

    @Override public String toString() { return describe(n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, groups); }

    private static String describe(int n, int cIn, int h, int w, int cOut, int kh, int kw, int sh, int sw,
                                   int ph, int pw, int dh, int dw, int groups) {
        return "conv2d[n=" + n + " in=" + cIn + "x" + h + "x" + w + " out=" + cOut + " kernel=" + kh + "x" + kw
                + " stride=" + sh + "x" + sw + " pad=" + ph + "x" + pw + " dilation=" + dh + "x" + dw + " groups=" + groups + "]";
    }
}
