package dev.diffusion4j.models;

import dev.diffusion4j.engine.DeviceConstants;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;

/** Sinusoidal embedding of (possibly fractional) timesteps: [sin(t f_i), cos(t f_i)] with f_i = 10000^(-i/(half-1)). */
public final class TimestepEmbedding {
    private TimestepEmbedding() {}

    /** t: [N] (any numeric dtype) -> [N, dim] in the given floating dtype on t's device. */
    public static Tensor sinusoidal(Tensor t, int dim, DType dtype) {
        int half = dim / 2;
        Tensor tf = t.dtype() == dtype ? t : t.to(dtype);
        Tensor f = DeviceConstants.get("TimestepEmbedding.freqs/" + half, dtype, t.device(), () -> {
            double[] freqs = new double[half];
            for (int i = 0; i < half; i++) freqs[i] = Math.exp(-Math.log(10000) * i / Math.max(1, half - 1));
            return Tensor.of(freqs, 1, half);
        });
        Tensor a = tf.reshape(-1, 1).mul(f);
        Tensor e = Tensor.cat(1, a.sin(), a.cos());
        return dim % 2 == 0 ? e : e.pad(new int[] {0, 1}, 0);
    }
}
