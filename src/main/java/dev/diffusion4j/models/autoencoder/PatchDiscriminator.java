package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Conv2dParams;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;

/**
 * The PatchGAN discriminator of pix2pix / taming-transformers' NLayerDiscriminator: a 4x4 stride-2 convolution and
 * LeakyReLU(0.2), then {@code layers - 1} stride-2 blocks and one stride-1 block (4x4 convolution without bias, norm,
 * LeakyReLU) doubling the width up to 8x, and a 4x4 stride-1 convolution to one logit per patch [N, 1, h', w'].
 * The engine has no BatchNorm, so the norm is GroupNorm (32 groups, or fewer where the width is small): it does not
 * couple the real and the fake batch, which also keeps a batch of one meaningful. Weights start as N(0, 0.02), norm
 * scales as N(1, 0.02), as in the reference.
 */
public final class PatchDiscriminator extends Module {
    private final ModuleList<Conv2d> convs = new ModuleList<>();
    private final ModuleList<GroupNorm> norms = new ModuleList<>();
    private final int layers, inChannels;

    public PatchDiscriminator(int inChannels, int width, int layers, Generator gen) {
        if (layers < 1) throw new IllegalArgumentException("the discriminator needs at least 1 layer, got " + layers);
        if (width < 1) throw new IllegalArgumentException("the discriminator width must be >= 1, got " + width);
        this.layers = layers;
        this.inChannels = inChannels;
        registerModule("convs", convs);
        registerModule("norms", norms);
        Conv2dParams down = Conv2dParams.of(2, 1), same = Conv2dParams.of(1, 1);
        convs.add(new Conv2d(inChannels, width, 4, 4, down, true, gen));
        int mult = 1;
        for (int n = 1; n <= layers; n++) {
            int prev = mult;
            mult = Math.min(1 << n, 8);
            convs.add(new Conv2d(width * prev, width * mult, 4, 4, n < layers ? down : same, false, gen));
            norms.add(new GroupNorm(groups(width * mult), width * mult));
        }
        convs.add(new Conv2d(width * mult, 1, 4, 4, same, true, gen));
        for (var p : namedParameters().entrySet()) {
            if (p.getKey().startsWith("convs.") && p.getKey().endsWith(".weight")) Init.normal(p.getValue(), 0, 0.02, gen);
            else if (p.getKey().startsWith("norms.") && p.getKey().endsWith(".weight")) Init.normal(p.getValue(), 1, 0.02, gen);
            else Init.zero(p.getValue());
        }
    }

    private static int groups(int channels) {
        int g = Math.min(32, channels);
        while (channels % g != 0) g--;
        return g;
    }

    /** Logits [N, 1, h', w'] that each patch of x is real. */
    @Override public Tensor forward(Tensor x) {
        if (x.shape(1) != inChannels)
            throw new IllegalArgumentException("the discriminator takes " + inChannels + "-channel images, got " + x.shape(1));
        Tensor h = leaky(convs.get(0).forward(x));
        for (int n = 1; n <= layers; n++) h = leaky(norms.get(n - 1).forward(convs.get(n).forward(h)));
        return convs.get(layers + 1).forward(h);
    }

    /** The side of the logit map for an input side, or a value below 1 when the input is too small for this depth. */
    public static int outputSide(int side, int layers) {
        int s = side;
        for (int n = 0; n < layers; n++) s = Math.floorDiv(s + 2 - 4, 2) + 1;
        s = s + 2 - 4 + 1;          // the stride-1 block
        return s + 2 - 4 + 1;       // the output convolution
    }

    static Tensor leaky(Tensor x) { return x.maximum(x.mul(0.2)); }
}
