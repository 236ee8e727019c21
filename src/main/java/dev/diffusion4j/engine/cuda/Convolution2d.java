package dev.diffusion4j.engine.cuda;

/**
 * A planned 2-D convolution of fixed geometry and precision on device buffers (NCHW / KCRS),
 * queued on the context's stream. The legacy cuDNN API implements it now
 * ({@link CudnnConvolution}); a graph-API version can replace it behind this interface.
 */
public interface Convolution2d extends AutoCloseable {
    /** Data type, and whether tensor cores may round float32 to TF32. */
    enum Precision { FP32, TF32, BF16 }

    ConvGeometry geometry();

    /** y = conv(x, w). */
    void forward(long x, long w, long y);

    /** dx = the gradient of the forward with respect to x, given dy. */
    void backwardData(long w, long dy, long dx);

    /** dw = (accumulate ? dw : 0) + the gradient with respect to w, given x and dy. */
    void backwardFilter(long x, long dy, long dw, boolean accumulate);

    /** The algorithms chosen so far (number, math type, workspace), for logs. */
    String describeAlgorithms();

    @Override
    void close();
}
