package dev.diffusion4j.models.unet2d;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;

/** diffusers' TimestepEmbedding (time_embedding): linear_1, SiLU, linear_2. */
final class TimestepMlp extends Module {
    private final Linear linear1, linear2;

    TimestepMlp(int in, int dim, Generator gen) {
        linear1 = registerModule("linear_1", new Linear(in, dim, gen));
        linear2 = registerModule("linear_2", new Linear(dim, dim, gen));
    }

    @Override public Tensor forward(Tensor x) { return linear2.forward(F.silu(linear1.forward(x))); }

    @Override public String typeName() { return "TimestepEmbedding"; }
}
