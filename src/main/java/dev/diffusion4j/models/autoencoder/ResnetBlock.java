package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Module;

/**
 * diffusers' ResnetBlock2D without a time embedding, as its autoencoders use it: GN-SiLU-conv3x3 twice, plus a 1x1
 * conv_shortcut on the skip path when the width changes. Children norm1, conv1, norm2, conv2, conv_shortcut.
 */
final class ResnetBlock extends Module {
    private final GroupNorm norm1, norm2;
    private final Conv2d conv1, conv2, shortcut;

    ResnetBlock(int cin, int cout, int groups, Generator gen) {
        norm1 = registerModule("norm1", new GroupNorm(groups, cin, AutoencoderShape.EPS, true));
        conv1 = registerModule("conv1", new Conv2d(cin, cout, 3, 1, 1, gen));
        norm2 = registerModule("norm2", new GroupNorm(groups, cout, AutoencoderShape.EPS, true));
        conv2 = registerModule("conv2", new Conv2d(cout, cout, 3, 1, 1, gen));
        shortcut = cin != cout ? registerModule("conv_shortcut", new Conv2d(cin, cout, 1, 1, 0, gen)) : null;
    }

    @Override public Tensor forward(Tensor x) {
        Tensor h = conv1.forward(norm1.forwardSilu(x));
        h = conv2.forward(norm2.forwardSilu(h));
        return (shortcut == null ? x : shortcut.forward(x)).add(h);
    }

    @Override public String typeName() { return "ResnetBlock2D"; }   // diffusers' class, in the printed tree
}
