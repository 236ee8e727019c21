package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.DeviceConstants;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.Sequential;
import dev.diffusion4j.nn.SiLU;

/**
 * DiT's timestep embedding: 256 sinusoidal features [cos(t f), sin(t f)] with f_i = exp(-ln(10000) i / 128), then
 * Linear-SiLU-Linear to D. (The U-Net's embedding orders sin first and spaces frequencies by half - 1.)
 */
public final class TimestepEmbedder extends Module {
    private static final int FREQ = DiTConfig.FREQUENCY_EMBEDDING_SIZE;
    private final Sequential mlp;

    public TimestepEmbedder(int hiddenSize, Generator gen) {
        mlp = registerModule("mlp", new Sequential(InitLinear.normal(FREQ, hiddenSize, 0.02, gen), new SiLU(), InitLinear.normal(hiddenSize, hiddenSize, 0.02, gen)));
    }

    /** t [N] (integer or fractional) -> [N, D], the features computed in {@code dtype}. */
    public Tensor forward(Tensor t, DType dtype) { return mlp.forward(frequencies(t, dtype)); }

    /** The sinusoidal features [N, 256]; the frequencies are rounded to f32 as the reference computes them. */
    static Tensor frequencies(Tensor t, DType dtype) { return frequencies(t, 0, dtype, dtype); }

    /**
     * The features with frequencies f_i = exp(-ln(10000) i / (128 - shift)): shift 0 is the DiT reference's, shift 1
     * diffusers' (its downscale_freq_shift). The products t f and their sines are computed in {@code compute} (the
     * reference: the model's dtype; diffusers: f32) and returned in {@code out}.
     */
    static Tensor frequencies(Tensor t, int shift, DType compute, DType out) {
        int half = FREQ / 2;
        Tensor freqs = DeviceConstants.get("TimestepEmbedder.freqs/" + half + "/" + shift, compute, t.device(), () -> {
            double[] f = new double[half];
            float c = (float) -Math.log(10000);
            for (int i = 0; i < half; i++) f[i] = (float) Math.exp((c * (float) i) / (float) (half - shift));
            return Tensor.of(f, 1, half);
        });
        Tensor tf = t.dtype() == compute ? t : t.to(compute);
        Tensor a = tf.reshape(-1, 1).mul(freqs);
        Tensor features = Tensor.cat(1, a.cos(), a.sin());
        return features.dtype() == out ? features : features.to(out);
    }

    public Sequential mlp() { return mlp; }
}
