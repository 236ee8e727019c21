package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Linear;

/** The reference's default for the transformer's linear layers: Glorot-uniform weights, zero biases. */
final class GlorotLinear {
    private GlorotLinear() {}

    static void init(Generator gen, Linear... layers) {
        for (Linear l : layers) {
            Init.xavierUniform(l.weight(), 1.0, gen);
            Init.zero(l.bias());
        }
    }
}
