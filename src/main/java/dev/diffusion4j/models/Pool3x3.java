package dev.diffusion4j.models;

import dev.diffusion4j.engine.DeviceConstants;
import dev.diffusion4j.engine.Tensor;

/**
 * 3x3 max and average pooling with the padding conventions Inception needs, composed from engine views (strided
 * slices, concatenation) and elementwise ops, so they run on every backend and differentiate without new kernels.
 */
public final class Pool3x3 {
    private Pool3x3() {}

    /** max_pool2d(x, 3, stride, padding): padded cells are -infinity, so they never win. */
    public static Tensor max(Tensor x, int stride, int padding) {
        Tensor p = pad(x, padding, Double.NEGATIVE_INFINITY);
        Tensor out = null;
        for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++) {
                Tensor tap = tap(p, dy, dx, stride);
                out = out == null ? tap : out.maximum(tap);
            }
        return out;
    }

    /** avg_pool2d(x, 3, stride 1, padding 1, count_include_pad=False): each sum is divided by its count of real cells. */
    public static Tensor avgExcludingPad(Tensor x) {
        Tensor p = pad(x, 1, 0);
        Tensor sum = null;
        for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++) {
                Tensor tap = tap(p, dy, dx, 1);
                sum = sum == null ? tap : sum.add(tap);
            }
        int h = x.shape(2), w = x.shape(3);
        return sum.mul(DeviceConstants.get("Pool3x3.inverseCounts/" + h + "x" + w, x.dtype(), x.device(), () -> {
            double[] inv = new double[h * w];
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++) inv[i * w + j] = 1.0 / (cells(i, h) * cells(j, w));
            return Tensor.of(inv, 1, 1, h, w);
        }));
    }

    /** Real (unpadded) cells of a 3-wide window centred on i in a line of n. */
    private static int cells(int i, int n) { return Math.min(i + 1, n - 1) - Math.max(i - 1, 0) + 1; }

    private static Tensor tap(Tensor p, int dy, int dx, int stride) {
        int oh = (p.shape(2) - 3) / stride + 1, ow = (p.shape(3) - 3) / stride + 1;
        return p.slice(2, dy, dy + stride * (oh - 1) + 1, stride).slice(3, dx, dx + stride * (ow - 1) + 1, stride);
    }

    private static Tensor pad(Tensor x, int padding, double value) {
        if (padding == 0) return x;
        int n = x.shape(0), c = x.shape(1), h = x.shape(2), w = x.shape(3);
        Tensor rows = Tensor.full(value, x.dtype(), x.device(), n, c, padding, w);
        Tensor tall = Tensor.cat(2, rows, x, rows);
        Tensor cols = Tensor.full(value, x.dtype(), x.device(), n, c, h + 2 * padding, padding);
        return Tensor.cat(3, cols, tall, cols);
    }
}
