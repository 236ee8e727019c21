package dev.diffusion4j.models;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;
import dev.diffusion4j.nn.SelfAttention2d;
import dev.diffusion4j.nn.Sequential;
import dev.diffusion4j.nn.SiLU;

/**
 * The classifier of noisy images x_t that classifier guidance differentiates (Dhariwal and Nichol 2021): the U-Net's
 * encoder half (input conv, the down levels with their ResNet blocks, attention and downsampling, the middle block),
 * all conditioned on the timestep embedding, then a mean-pool head: GroupNorm, SiLU, the spatial mean, a linear layer
 * to the class logits. (The guided-diffusion reference also offers attention pooling; mean pooling is its "adaptive"
 * head and the cheaper one.) Module names follow {@link UNet}'s.
 */
public final class NoisyClassifier extends Module {
    private final NoisyClassifierConfig cfg;
    private final Sequential temb;
    private final Conv2d cin;
    private final ModuleList<ModuleList<Module>> down;
    private final ModuleList<Module> mid;
    private final GroupNorm nout;
    private final Linear head;

    public NoisyClassifier(NoisyClassifierConfig cfg, Generator gen) {
        this.cfg = cfg;
        UNetConfig u = cfg.unet();
        int ch = u.baseChannels(), tdim = u.timeEmbedChannels();
        temb = registerModule("temb", new Sequential(new Linear(ch, tdim, gen), new SiLU(), new Linear(tdim, tdim, gen)));
        cin = registerModule("cin", new Conv2d(u.inChannels(), ch, 3, 1, 1, gen));
        down = registerModule("down", new ModuleList<>());
        int c = ch, r = u.resolution();
        int[] mult = u.channelMult();
        for (int i = 0; i < mult.length; i++) {
            for (int k = 0; k < u.numResBlocks(); k++) {
                ModuleList<Module> blk = new ModuleList<>();
                blk.add(new ResBlock(c, ch * mult[i], tdim, u.dropout(), u, gen));
                c = ch * mult[i];
                if (contains(u.attentionResolutions(), r)) blk.add(attention(c, u, gen));
                down.add(blk);
            }
            if (i != mult.length - 1) {
                ModuleList<Module> blk = new ModuleList<>();
                blk.add(new UNet.Downsample(c, u.convResample(), gen));
                down.add(blk);
                r /= 2;
            }
        }
        mid = registerModule("mid", new ModuleList<>());
        mid.add(new ResBlock(c, c, tdim, u.dropout(), u, gen));
        mid.add(attention(c, u, gen));
        mid.add(new ResBlock(c, c, tdim, u.dropout(), u, gen));
        nout = registerModule("nout", new GroupNorm(u.normGroups(), c));
        head = registerModule("head", new Linear(c, cfg.numClasses(), gen));
    }

    private static SelfAttention2d attention(int c, UNetConfig u, Generator gen) {
        int heads = u.headChannels() > 0 ? c / u.headChannels() : u.numHeads();
        return new SelfAttention2d(c, heads, u.normGroups(), u.zeroInitOutputs(), SelfAttention2d.QkvLayout.QKV_FIRST, gen);
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }

    public NoisyClassifierConfig config() { return cfg; }

    /** Class logits [N, numClasses] of noisy images x [N, C, R, R] at (integer or fractional) training timesteps t [N]. */
    public Tensor logits(Tensor x, Tensor t) {
        if (x.rank() != 4 || x.shape(1) != cfg.inChannels() || x.shape(2) != cfg.resolution() || x.shape(3) != cfg.resolution())
            throw new IllegalArgumentException("the classifier reads [N, " + cfg.inChannels() + ", " + cfg.resolution() + ", " + cfg.resolution()
                    + "] images, got " + java.util.Arrays.toString(x.shape()));
        Tensor e = temb.forward(TimestepEmbedding.sinusoidal(t, cfg.unet().baseChannels(), x.dtype()));
        Tensor h = cin.forward(x);
        for (ModuleList<Module> blk : down) {
            if (blk.get(0) instanceof ResBlock rb) {
                h = rb.forward(h, e);
                if (blk.size() > 1) h = blk.get(1).forward(h);
            } else {
                h = blk.get(0).forward(h);
            }
        }
        h = ((ResBlock) mid.get(0)).forward(h, e);
        h = mid.get(1).forward(h);
        h = ((ResBlock) mid.get(2)).forward(h, e);
        return head.forward(nout.forwardSilu(h).mean(new int[] {2, 3}, false));
    }
}
