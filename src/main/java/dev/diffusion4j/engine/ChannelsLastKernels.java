package dev.diffusion4j.engine;

/**
 * Native channels-last ({@link MemoryFormat#CHANNELS_LAST}) convolution, group norm and nearest upsampling, for backends that have them
 * (CUDA: cuDNN reads [N, H, W, C] directly). x, y and their gradients are [N, H, W, C]; a convolution's filter and its
 * gradient are KRSC, [Cout, kh, kw, Cin/groups] (ConvOps copies PyTorch's [Cout, Cin/groups, kh, kw] to it and back).
 * Backends without it get the same values from ConvOps and NnOps by permuting to channels-first around their ordinary
 * kernels.
 */
public interface ChannelsLastKernels {
    /** conv2d(x, w) + bias (or null) + residual (null, or of the output's shape and dtype), all channels-last; w KRSC. */
    Tensor conv2dChannelsLast(Tensor x, Tensor w, Tensor bias, Conv2dParams p, Tensor residual);
    /** dL/dx [N, H, W, C] of {@link #conv2dChannelsLast} (xShape channels-last, w KRSC). */
    Tensor conv2dChannelsLastBackwardInput(Tensor gy, Tensor w, int[] xShape, Conv2dParams p);
    /** dL/dw of {@link #conv2dChannelsLast}, KRSC like wShape. */
    Tensor conv2dChannelsLastBackwardWeight(Tensor x, Tensor gy, int[] wShape, Conv2dParams p);
    /**
     * {y, mean, rstd} of group norm (then SiLU) over x + shift for x [N, *, C] and shift null or [N, C] (a per-sample
     * channel term that is added on the fly, never written out: a convolution's bias and time embedding); mean and rstd
     * [N, groups].
     */
    Tensor[] groupNormChannelsLastForward(Tensor x, Tensor shift, int groups, Tensor weight, Tensor bias, double eps, boolean silu);
    /** {dx, dweight or null, dbias or null} of {@link #groupNormChannelsLastForward} (dx is also the gradient of x + shift). */
    Tensor[] groupNormChannelsLastBackward(Tensor gy, Tensor x, Tensor shift, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int groups,
                                           boolean silu);
    /** Nearest upsampling of x [N, H, W, C] by an integer factor. */
    Tensor upsampleNearest2dChannelsLast(Tensor x, int factor);
    /** dL/dx [N, H, W, C] of {@link #upsampleNearest2dChannelsLast} from gy [N, H*factor, W*factor, C]. */
    Tensor upsampleNearest2dChannelsLastBackward(Tensor gy, int factor);
}
