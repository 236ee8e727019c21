package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Linear;

/** The reference's linear layers, each weight drawn once: every bias zero. */
final class InitLinear {
    private InitLinear() {}

    /** Glorot-uniform: U(-a, a), a = sqrt(6 / (in + out)), the default for the transformer's linears. */
    static Linear glorot(int in, int out, Generator gen) {
        return new Linear(Init.uniform(gen, Math.sqrt(6.0 / (in + out)), out, in), Tensor.zeros(out));
    }

    /** normal(0, std), the timestep MLP's. */
    static Linear normal(int in, int out, double std, Generator gen) {
        return new Linear(Init.normal(gen, 0, std, out, in), Tensor.zeros(out));
    }

    /** All zero: adaLN modulation and the output layer, so a fresh model starts as the identity and predicts 0. */
    static Linear zero(int in, int out) {
        return new Linear(Tensor.zeros(out, in), Tensor.zeros(out));
    }
}
