package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;
import java.util.List;

/**
 * diffusers' autoencoder Encoder: conv_in, one DownEncoderBlock2D per width (layers resnets, then a stride-2
 * downsampler on all levels but the last), the mid block, conv_norm_out, SiLU and conv_out to outChannels (twice the
 * latent channels for a KL posterior's mean and log-variance, the latent channels for VQ).
 */
final class Encoder extends Module {
    private final Conv2d convIn, convOut;
    private final ModuleList<Module> downBlocks;
    private final MidBlock mid;
    private final GroupNorm normOut;

    Encoder(int inChannels, int outChannels, List<Integer> widths, int layers, int groups, boolean midAttention, Generator gen) {
        convIn = registerModule("conv_in", new Conv2d(inChannels, widths.get(0), 3, 1, 1, gen));
        downBlocks = registerModule("down_blocks", new ModuleList<>());
        int prev = widths.get(0);
        for (int i = 0; i < widths.size(); i++) {
            int c = widths.get(i);
            downBlocks.add(new Level(prev, c, layers, groups, i < widths.size() - 1, gen));
            prev = c;
        }
        mid = registerModule("mid_block", new MidBlock(prev, groups, midAttention, gen));
        normOut = registerModule("conv_norm_out", new GroupNorm(groups, prev, AutoencoderShape.EPS, true));
        convOut = registerModule("conv_out", new Conv2d(prev, outChannels, 3, 1, 1, gen));
    }

    @Override public Tensor forward(Tensor x) {
        Tensor h = convIn.forward(x);
        for (Module b : downBlocks) h = b.forward(h);
        return convOut.forward(normOut.forwardSilu(mid.forward(h)));
    }

    /** DownEncoderBlock2D: children resnets and (not on the last level) downsamplers.0. */
    static final class Level extends Module {
        private final ModuleList<ResnetBlock> resnets;
        private final ModuleList<Downsample> downsamplers;

        Level(int cin, int cout, int layers, int groups, boolean downsample, Generator gen) {
            resnets = registerModule("resnets", new ModuleList<>());
            for (int j = 0; j < layers; j++) resnets.add(new ResnetBlock(j == 0 ? cin : cout, cout, groups, gen));
            downsamplers = downsample ? registerModule("downsamplers", new ModuleList<Downsample>()).add(new Downsample(cout, gen)) : null;
        }

        @Override public Tensor forward(Tensor x) {
            Tensor h = x;
            for (ResnetBlock r : resnets) h = r.forward(h);
            return downsamplers == null ? h : downsamplers.get(0).forward(h);
        }

        @Override public String typeName() { return "DownEncoderBlock2D"; }
    }
}
