package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;
import java.util.List;

/**
 * diffusers' autoencoder Decoder: conv_in from the latents to the widest level, the mid block, one UpDecoderBlock2D per
 * width in reverse order (layers + 1 resnets, then nearest x2 and a conv on all but the last), conv_norm_out, SiLU and
 * conv_out to the image channels.
 */
final class Decoder extends Module {
    private final Conv2d convIn, convOut;
    private final MidBlock mid;
    private final ModuleList<Module> upBlocks;
    private final GroupNorm normOut;

    Decoder(int inChannels, int outChannels, List<Integer> widths, int layers, int groups, boolean midAttention, Generator gen) {
        int top = widths.getLast();
        convIn = registerModule("conv_in", new Conv2d(inChannels, top, 3, 1, 1, gen));
        upBlocks = registerModule("up_blocks", new ModuleList<>());   // registered before mid_block, as diffusers does
        mid = registerModule("mid_block", new MidBlock(top, groups, midAttention, gen));
        int prev = top;
        for (int i = widths.size() - 1; i >= 0; i--) {
            int c = widths.get(i);
            upBlocks.add(new Level(prev, c, layers + 1, groups, i > 0, gen));
            prev = c;
        }
        normOut = registerModule("conv_norm_out", new GroupNorm(groups, prev, AutoencoderShape.EPS, true));
        convOut = registerModule("conv_out", new Conv2d(prev, outChannels, 3, 1, 1, gen));
    }

    @Override public Tensor forward(Tensor z) {
        Tensor h = mid.forward(convIn.forward(z));
        for (Module b : upBlocks) h = b.forward(h);
        return convOut.forward(normOut.forwardSilu(h));
    }

    Conv2d convOut() { return convOut; }

    /** UpDecoderBlock2D: children resnets and (not on the last level) upsamplers.0. */
    static final class Level extends Module {
        private final ModuleList<ResnetBlock> resnets;
        private final ModuleList<Upsample> upsamplers;

        Level(int cin, int cout, int resnetCount, int groups, boolean upsample, Generator gen) {
            resnets = registerModule("resnets", new ModuleList<>());
            for (int j = 0; j < resnetCount; j++) resnets.add(new ResnetBlock(j == 0 ? cin : cout, cout, groups, gen));
            upsamplers = upsample ? registerModule("upsamplers", new ModuleList<Upsample>()).add(new Upsample(cout, gen)) : null;
        }

        @Override public Tensor forward(Tensor x) {
            Tensor h = x;
            for (ResnetBlock r : resnets) h = r.forward(h);
            return upsamplers == null ? h : upsamplers.get(0).forward(h);
        }

        @Override public String typeName() { return "UpDecoderBlock2D"; }
    }
}
