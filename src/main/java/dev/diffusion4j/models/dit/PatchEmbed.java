package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Module;

/** Cuts [N, C, H, W] into p x p patches and projects each to a D-wide token: a stride-p convolution, [N, H/p * W/p, D]. */
public final class PatchEmbed extends Module {
    private final Conv2d proj;

    public PatchEmbed(int inChannels, int hiddenSize, int patchSize, Generator gen) {
        proj = registerModule("proj", new Conv2d(inChannels, hiddenSize, patchSize, patchSize, 0, gen));
        // the reference treats the kernel as a Linear [D, C*p*p]: Glorot bound from those fans, zero bias
        int fanIn = inChannels * patchSize * patchSize;
        Init.uniform(proj.weight(), Math.sqrt(6.0 / (fanIn + hiddenSize)), gen);
        Init.zero(proj.bias());
    }

    /** Tokens in row-major patch order. */
    @Override public Tensor forward(Tensor x) { return proj.forward(x).flatten(2, 3).transpose(1, 2); }

    public Conv2d proj() { return proj; }
}
