package dev.diffusion4j.models;

import dev.diffusion4j.engine.F;
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

    public Tensor forward(Tensor x, Tensor temb) {
        Tensor h = c1.forward(n1.forwardSilu(x));
        Tensor e = t.forward(F.silu(temb));
        int n = h.shape(0);
        if (scaleShift) {
            Tensor scale = e.slice(1, 0, outChannels).reshape(n, outChannels, 1, 1);
            Tensor shift = e.slice(1, outChannels, 2 * outChannels).reshape(n, outChannels, 1, 1);
            h = F.silu(n2.forward(h).mul(scale.add(1.0)).add(shift));
        } else {
            h = n2.forwardSilu(h.add(e.reshape(n, outChannels, 1, 1)));
        }
        h = c2.forward(drop.forward(h));
        return (skip == null ? x : skip.forward(x)).add(h);
    }
}
