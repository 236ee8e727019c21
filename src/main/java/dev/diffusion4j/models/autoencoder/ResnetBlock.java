package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.Dropout;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;

/**
 * diffusers' ResnetBlock2D: GN-SiLU-conv3x3 twice, plus a 1x1 conv_shortcut on the skip path when the width changes,
 * and the sum divided by an output scale. The autoencoders use it without a time embedding; the diffusers U-Nets add
 * one (time_emb_proj of silu(temb): added per channel after conv1 with resnet_time_scale_shift "default"; with
 * "scale_shift" twice as wide, [scale | shift] applied to norm2's output as h (1 + scale) + shift) and may drop out
 * before conv2. Children norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut.
 */
public final class ResnetBlock extends Module {
    private final GroupNorm norm1, norm2;
    private final Conv2d conv1, conv2, shortcut;
    private final Linear timeEmbProj;   // null: no time embedding
    private final Dropout dropout;      // null: none
    private final double outputScale;
    private final boolean scaleShift;

    ResnetBlock(int cin, int cout, int groups, Generator gen) { this(cin, cout, groups, AutoencoderShape.EPS, 0, 0, 1, gen); }

    /**
     * @param tembChannels width of the time embedding, 0 for none
     * @param outputScale  diffusers' output_scale_factor: (skip + residual) / outputScale
     */
    public ResnetBlock(int cin, int cout, int groups, double eps, int tembChannels, double dropout, double outputScale, Generator gen) {
        this(cin, cout, groups, eps, tembChannels, dropout, outputScale, false, gen);
    }

    /** @param scaleShift diffusers' resnet_time_scale_shift "scale_shift" (needs a time embedding) */
    public ResnetBlock(int cin, int cout, int groups, double eps, int tembChannels, double dropout, double outputScale, boolean scaleShift, Generator gen) {
        if (scaleShift && tembChannels == 0) throw new IllegalArgumentException("a scale-shift ResnetBlock2D needs a time embedding");
        this.scaleShift = scaleShift;
        norm1 = registerModule("norm1", new GroupNorm(groups, cin, eps, true));
        conv1 = registerModule("conv1", new Conv2d(cin, cout, 3, 1, 1, gen));
        timeEmbProj = tembChannels > 0 ? registerModule("time_emb_proj", new Linear(tembChannels, scaleShift ? 2 * cout : cout, gen)) : null;
        norm2 = registerModule("norm2", new GroupNorm(groups, cout, eps, true));
        this.dropout = dropout > 0 ? new Dropout(dropout, gen.fork(0xD70F)) : null;   // no weights: not registered under a name
        conv2 = registerModule("conv2", new Conv2d(cout, cout, 3, 1, 1, gen));
        shortcut = cin != cout ? registerModule("conv_shortcut", new Conv2d(cin, cout, 1, 1, 0, gen)) : null;
        this.outputScale = outputScale;
    }

    @Override public Tensor forward(Tensor x) { return forward(x, null); }

    /** x [N, Cin, H, W], temb [N, tembChannels] (null exactly when the block has no time embedding) -> [N, Cout, H, W]. */
    public Tensor forward(Tensor x, Tensor temb) {
        if ((temb == null) != (timeEmbProj == null))
            throw new IllegalArgumentException(timeEmbProj == null ? "this ResnetBlock2D has no time embedding" : "this ResnetBlock2D needs a time embedding");
        Tensor h = conv1.forward(norm1.forwardSilu(x));
        if (scaleShift) {
            Tensor e = timeEmbProj.forward(F.silu(temb));
            int c = e.shape(1) / 2;
            Tensor scale = e.slice(1, 0, c).reshape(e.shape(0), c, 1, 1), shift = e.slice(1, c, 2 * c).reshape(e.shape(0), c, 1, 1);
            h = F.silu(norm2.forward(h).mul(scale.add(1.0)).add(shift));
        } else {
            if (timeEmbProj != null) {
                Tensor e = timeEmbProj.forward(F.silu(temb));
                h = h.add(e.reshape(e.shape(0), e.shape(1), 1, 1));
            }
            h = norm2.forwardSilu(h);
        }
        if (dropout != null) h = dropout.forward(h);
        h = conv2.forward(h);
        Tensor out = (shortcut == null ? x : shortcut.forward(x)).add(h);
        return outputScale == 1 ? out : out.div(outputScale);
    }

    @Override public Module train(boolean on) {
        super.train(on);
        if (dropout != null) dropout.train(on);
        return this;
    }

    @Override public String typeName() { return "ResnetBlock2D"; }   // diffusers' class, in the printed tree
}
