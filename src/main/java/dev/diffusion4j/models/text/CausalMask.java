package dev.diffusion4j.models.text;

import dev.diffusion4j.engine.DeviceConstants;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;

/** The additive causal attention mask of a text transformer: position i sees positions 0..i only. */
public final class CausalMask {
    private CausalMask() {}

    /** [1, 1, L, L]: 0 on and below the diagonal, -inf above it (so no row is fully masked). */
    public static Tensor of(int length, Device device) {
        return DeviceConstants.get("CausalMask/" + length, DType.F32, device, () -> {
            float[] m = new float[length * length];
            for (int i = 0; i < length; i++)
                for (int j = i + 1; j < length; j++) m[i * length + j] = Float.NEGATIVE_INFINITY;
            return Tensor.of(m, 1, 1, length, length);
        });
    }
}
