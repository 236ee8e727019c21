package dev.diffusion4j.metrics;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;

/**
 * The images themselves, area-averaged down to {@code size x size} and flattened: a weak but always-available feature
 * "network" (no weights) that still separates blurry from sharp and shifted from unshifted sets.
 */
public final class PixelFeatures implements FeatureNetwork {
    public static final int DEFAULT_SIZE = 8;
    private final int size;
    private final int channels;

    /** @param channels the channels of the images it will see (the feature length is channels * size^2) */
    public PixelFeatures(int size, int channels) {
        if (size < 1 || size > 64) throw new IllegalArgumentException("pixel features need a size of 1 to 64, got " + size);
        if (channels < 1) throw new IllegalArgumentException("pixel features need a channel count, got " + channels);
        this.size = size;
        this.channels = channels;
    }

    @Override public String name() { return "pixels-" + size + "x" + size; }
    @Override public String weightsHash() { return "pixels-area-" + size + "-c" + channels; }
    @Override public int dim() { return channels * size * size; }
    @Override public int inputChannels() { return channels; }
    @Override public int inputSize() { return 0; }

    @Override public float[] features(Tensor images) {
        if (images.rank() != 4 || images.shape(1) != channels)
            throw new IllegalArgumentException("pixel features of " + channels + "-channel images got shape " + java.util.Arrays.toString(images.shape()));
        int n = images.shape(0), h = images.shape(2), w = images.shape(3);
        float[] src = images.to(Device.CPU).contiguous().toFloatArray();
        float[] out = new float[n * dim()];
        double[] wy = new double[size * h], wx = new double[size * w];
        areaWeights(h, size, wy);
        areaWeights(w, size, wx);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < channels; c++) {
                int base = (i * channels + c) * h * w;
                for (int oy = 0; oy < size; oy++)
                    for (int ox = 0; ox < size; ox++) {
                        double s = 0;
                        for (int y = 0; y < h; y++) {
                            double a = wy[oy * h + y];
                            if (a == 0) continue;
                            for (int x = 0; x < w; x++) s += a * wx[ox * w + x] * src[base + y * w + x];
                        }
                        out[i * dim() + (c * size + oy) * size + ox] = (float) s;
                    }
            }
        return out;
    }

    /** weights[o * in + i]: the share of input cell i inside output cell o (each output row sums to 1). */
    static void areaWeights(int in, int out, double[] weights) {
        double scale = (double) in / out;
        for (int o = 0; o < out; o++) {
            double lo = o * scale, hi = (o + 1) * scale;
            for (int i = (int) Math.floor(lo); i < Math.min(in, Math.ceil(hi)); i++)
                weights[o * in + i] = (Math.min(hi, i + 1) - Math.max(lo, i)) / scale;
        }
    }
}
