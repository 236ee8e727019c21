package dev.diffusion4j.models.unet2d;

import dev.diffusion4j.engine.DeviceConstants;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;

/**
 * diffusers' Timesteps (time_proj): sinusoids of the timesteps at frequencies exp(-ln(10000) i / (half - freq_shift)),
 * i < half, as [sin, cos] or, with flip_sin_to_cos, [cos, sin]; a zero column pads an odd width. Computed in f32 as
 * diffusers does (the frequencies rounded to f32 as its f32 arange and exp give them), so the inputs of the time MLP
 * agree bit for bit up to the sin/cos of the device. No weights.
 */
final class TimeProjection {
    private TimeProjection() {}

    /** t [N] (any numeric dtype) -> [N, dim] f32 on t's device. */
    static Tensor embed(Tensor t, int dim, boolean flipSinToCos, double freqShift) {
        int half = dim / 2;
        Tensor f = DeviceConstants.get("TimeProjection.freqs/" + half + "/" + freqShift, DType.F32, t.device(), () -> {
            float[] freqs = new float[half];
            float logMax = (float) -Math.log(10000);
            for (int i = 0; i < half; i++) freqs[i] = (float) Math.exp((logMax * (float) i) / (float) (half - freqShift));
            return Tensor.of(freqs, 1, half);
        });
        Tensor a = t.to(DType.F32).reshape(-1, 1).mul(f);
        Tensor e = flipSinToCos ? Tensor.cat(1, a.cos(), a.sin()) : Tensor.cat(1, a.sin(), a.cos());
        return dim % 2 == 0 ? e : e.pad(new int[] {0, 1}, 0);
    }
}
