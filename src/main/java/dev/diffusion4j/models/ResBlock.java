package dev.diffusion4j.models;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.MemoryFormat;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.Dropout;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;

/**
 * ResNet block conditioned on the time embedding: GN-SiLU-conv, add (or scale-shift by) the projected embedding,
 * GN-SiLU-dropout-conv, plus a 1x1 skip projection when the channel count changes.
 */
public final class ResBlock extends Module {
    private final GroupNorm n1, n2;
    private final Conv2d c1, c2, skip;
    private final Linear t;
    private final Dropout drop;
    private final boolean scaleShift;
    private final int outChannels;

    public ResBlock(int cin, int cout, int tdim, double dropout, UNetConfig cfg, Generator gen) {
        this.scaleShift = cfg.scaleShift();
        this.outChannels = cout;
        n1 = registerModule("n1", new GroupNorm(cfg.normGroups(), cin));
        c1 = registerModule("c1", new Conv2d(cin, cout, 3, 1, 1, gen));
        t = registerModule("t", new Linear(tdim, scaleShift ? 2 * cout : cout, gen));
        n2 = registerModule("n2", new GroupNorm(cfg.normGroups(), cout));
        drop = registerModule("drop", new Dropout(dropout, gen.fork(0x0D50)));
        c2 = registerModule("c2", new Conv2d(cout, cout, 3, 1, 1, gen));
        if (cfg.zeroInitOutputs()) Init.zero(c2);
        skip = cin != cout ? registerModule("skip", new Conv2d(cin, cout, 1, 1, 0, gen)) : null;
    }

    public Tensor forward(Tensor x, Tensor temb) { return forward(x, temb, MemoryFormat.CHANNELS_FIRST); }

    /** As {@link #forward(Tensor, Tensor)} on x in the given format (channels-last: [N, H, W, C]). */
    public Tensor forward(Tensor x, Tensor temb, MemoryFormat format) {
        Tensor e = t.forward(F.silu(temb));
        int n = x.shape(0);
        if (!scaleShift) {
            // c1's bias joins the embedding ([N, C], small) as one shift that n2 adds as it reads c1's output: the
            // feature map h + shift, read only by n2, is never written out where the backend fuses it (CUDA, channels-last)
            Tensor shift = e.add(c1.bias().data().to(e.dtype()));
            Tensor h = c1.forward(n1.forward(x, true, format), null, false, format);
            return out(x, n2.forward(h, shift, true, format), format);
        }
        Tensor h = c1.forward(n1.forward(x, true, format), null, true, format);
        Tensor scale = perChannel(e.slice(1, 0, outChannels), n, format);
        Tensor shift = perChannel(e.slice(1, outChannels, 2 * outChannels), n, format);
        return out(x, F.silu(n2.forward(h, false, format).mul(scale.add(1.0)).add(shift)), format);
    }

    /** [N, C] as a per-channel term of a feature map in the given format. */
    private Tensor perChannel(Tensor v, int n, MemoryFormat format) {
        return format == MemoryFormat.CHANNELS_LAST ? v.reshape(n, 1, 1, outChannels) : v.reshape(n, outChannels, 1, 1);
    }

    /** The second half: dropout, c2, plus the (projected) input. */
    private Tensor out(Tensor x, Tensor h, MemoryFormat format) {
        return c2.forward(drop.forward(h), skip == null ? x : skip.forward(x, null, true, format), true, format);
    }
}
