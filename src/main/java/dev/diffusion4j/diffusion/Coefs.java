package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;

/**
 * Products with per-timestep coefficients. A coefficient is a 0-d tensor when the whole batch shares one timestep
 * (every sampler step): on the CPU that multiply runs as a scalar affine op, much cheaper than a broadcast.
 */
final class Coefs {
    private Coefs() {}

    static Tensor mul(Tensor x, Tensor c) {
        return isHostScalar(c) ? x.mul(c.item()) : x.mul(c);
    }

    static Tensor div(Tensor x, Tensor c) {
        return isHostScalar(c) ? x.div(c.item()) : x.div(c);
    }

    private static boolean isHostScalar(Tensor c) {
        return c.rank() == 0 && !c.requiresGrad() && c.device().equals(Device.CPU);
    }
}
