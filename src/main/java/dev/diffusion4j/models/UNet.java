package dev.diffusion4j.models;

import dev.diffusion4j.engine.Autocast;
import dev.diffusion4j.engine.ChannelsLastKernels;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.MemoryFormat;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.Embedding;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;
import dev.diffusion4j.nn.Sequential;
import dev.diffusion4j.nn.SelfAttention2d;
import dev.diffusion4j.nn.SiLU;
import dev.diffusion4j.nn.SpatialTransformer;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The DDPM / improved-DDPM / ADM U-Net: conv stem, levels of ResNet blocks (with self-attention at chosen
 * resolutions) that halve the resolution going down and double it coming up, skip concatenations between
 * matching levels, and a GN-SiLU-conv head. Module names follow ../shared/bench/ddpm_unet.py.
 */
public final class UNet extends DenoisingNetwork {
    private final UNetConfig cfg;
    private final Sequential temb;
    private final Sequential augEmb;
    private final Embedding labelEmb;
    private final Conv2d cin, cout;
    private final ModuleList<ModuleList<Module>> down, up;
    private final ModuleList<Module> mid;
    private final GroupNorm nout;

    public UNet(UNetConfig cfg, Generator gen) {
        this.cfg = cfg;
        int ch = cfg.baseChannels(), tdim = cfg.timeEmbedChannels();
        temb = registerModule("temb", new Sequential(new Linear(ch, tdim, gen), new SiLU(), new Linear(tdim, tdim, gen)));
        labelEmb = cfg.numClasses() > 0 ? registerModule("label_emb", new Embedding(cfg.numClasses() + 1, tdim, gen)) : null;
        // a super-resolution stage embeds its noise-augmentation level like a timestep, through its own MLP
        augEmb = cfg.lowResChannels() > 0 ? registerModule("aug_emb", new Sequential(new Linear(ch, tdim, gen), new SiLU(), new Linear(tdim, tdim, gen))) : null;
        cin = registerModule("cin", new Conv2d(cfg.inChannels() + cfg.lowResChannels(), ch, 3, 1, 1, gen));
        down = registerModule("down", new ModuleList<>());
        Deque<Integer> chans = new ArrayDeque<>();
        chans.push(ch);
        int c = ch, r = cfg.resolution();
        int[] mult = cfg.channelMult();
        for (int i = 0; i < mult.length; i++) {
            for (int k = 0; k < cfg.numResBlocks(); k++) {
                ModuleList<Module> blk = new ModuleList<>();
                blk.add(new ResBlock(c, ch * mult[i], tdim, cfg.dropout(), cfg, gen));
                c = ch * mult[i];
                if (contains(cfg.attentionResolutions(), r)) addAttention(blk, c, cfg, gen);
                down.add(blk);
                chans.push(c);
            }
            if (i != mult.length - 1) {
                ModuleList<Module> blk = new ModuleList<>();
                blk.add(new Downsample(c, cfg.convResample(), gen));
                down.add(blk);
                chans.push(c);
                r /= 2;
            }
        }
        mid = registerModule("mid", new ModuleList<>());
        mid.add(new ResBlock(c, c, tdim, cfg.dropout(), cfg, gen));
        mid.add(cfg.transformerOnly() ? crossAttention(c, cfg, gen) : attention(c, cfg, gen));
        mid.add(new ResBlock(c, c, tdim, cfg.dropout(), cfg, gen));
        // mid.3 (runs after mid.1): appended so the unconditional U-Net's names stay as they were
        if (cfg.contextDim() > 0 && !cfg.transformerOnly()) mid.add(crossAttention(c, cfg, gen));
        up = registerModule("up", new ModuleList<>());
        for (int i = mult.length - 1; i >= 0; i--) {
            for (int k = 0; k < cfg.numResBlocks() + 1; k++) {
                ModuleList<Module> blk = new ModuleList<>();
                blk.add(new ResBlock(c + chans.pop(), ch * mult[i], tdim, cfg.dropout(), cfg, gen));
                c = ch * mult[i];
                if (contains(cfg.attentionResolutions(), r)) addAttention(blk, c, cfg, gen);
                up.add(blk);
            }
            if (i != 0) {
                ModuleList<Module> blk = new ModuleList<>();
                blk.add(new Upsample(c, cfg.convResample(), gen));
                up.add(blk);
                r *= 2;
            }
        }
        nout = registerModule("nout", new GroupNorm(cfg.normGroups(), c));
        cout = registerModule("cout", new Conv2d(c, cfg.outChannels(), 3, 1, 1, gen));
        if (cfg.zeroInitOutputs()) Init.zero(cout);
    }

    /** Attention with [q | k | v] channel order, as in the DDPM reference. */
    private static SelfAttention2d attention(int c, UNetConfig cfg, Generator gen) {
        int heads = cfg.headChannels() > 0 ? c / cfg.headChannels() : cfg.numHeads();
        return new SelfAttention2d(c, heads, cfg.normGroups(), cfg.zeroInitOutputs(), SelfAttention2d.QkvLayout.QKV_FIRST, gen);
    }

    /** Self-attention (not in the transformer-only layout), then (text-conditioned) a spatial transformer that cross-attends to the context. */
    private static void addAttention(ModuleList<Module> blk, int c, UNetConfig cfg, Generator gen) {
        if (!cfg.transformerOnly()) blk.add(attention(c, cfg, gen));
        if (cfg.contextDim() > 0) blk.add(crossAttention(c, cfg, gen));
    }

    private static SpatialTransformer crossAttention(int c, UNetConfig cfg, Generator gen) {
        int heads = cfg.headChannels() > 0 ? c / cfg.headChannels() : cfg.numHeads();
        return new SpatialTransformer(c, cfg.contextDim(), heads, 1, cfg.normGroups(), cfg.zeroInitOutputs(), gen);
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }

    @Override public UNetConfig config() { return cfg; }

    /**
     * Predicts the model output for noisy images x [N, C, H, W] at timesteps t [N] (integer or fractional);
     * labels [N] (i64) for class-conditional models, null otherwise (or to mean "no class").
     */
    @Override public Tensor forward(Tensor x, Tensor t, Tensor labels) { return forward(x, t, labels, null, null); }

    /** As {@link #forward(Tensor, Tensor, Tensor)} with a context [N, L, contextDim] for a text-conditioned U-Net. */
    @Override public Tensor forwardWithContext(Tensor x, Tensor t, Tensor labels, Tensor context) {
        return forward(x, t, labels, null, context);
    }

    public Tensor forward(Tensor x, Tensor t, Tensor labels, Tensor augLevel) { return forward(x, t, labels, augLevel, null); }

    /**
     * As {@link #forward(Tensor, Tensor, Tensor)}; a super-resolution stage ({@link UNetConfig#lowResChannels} > 0) takes
     * x_t and the upsampled low-resolution image concatenated along channels, and augLevel [N], the noise-augmentation
     * level of the low-resolution image in [0, 1] (null: 0, a clean one).
     */
    public Tensor forward(Tensor x, Tensor t, Tensor labels, Tensor augLevel, Tensor context) {
        checkInput(x);
        checkContext(x, context);
        if (x.shape(2) % (1 << (cfg.channelMult().length - 1)) != 0 || x.shape(3) % (1 << (cfg.channelMult().length - 1)) != 0)
            throw new IllegalArgumentException("U-Net input size " + x.shape(2) + "x" + x.shape(3) + " must be divisible by " + (1 << (cfg.channelMult().length - 1)));
        Tensor e = embed(x, t, labels, augLevel);
        Deque<Tensor> hs = new ArrayDeque<>();
        MemoryFormat f = memoryFormat(x);
        Tensor h = encoder(f.fromChannelsFirst(x), e, hs, context, f);
        for (ModuleList<Module> blk : up) {
            if (blk.get(0) instanceof ResBlock) h = runLevel(blk, Tensor.cat(f.channelDim(4), h, hs.pop()), e, context, f);
            else h = layer(blk.get(0), h, context, f);
        }
        return f.toChannelsFirst(cout.forward(nout.forward(h, true, f), null, true, f));
    }

    /**
     * Which memory format the activations take: null (the default) picks channels-last where the backend has native
     * channels-last convolutions (CUDA) and they run on tensor cores (bf16 autocast or storage, or TF32), as
     * -Ddiffusion4j.channelsLast=auto; true or false there forces one. Strict FP32 stays channels-first, where cuDNN's
     * kernels read NCHW as they are and cudnnFind picks the fastest (not measured channels-last). The values are the same
     * either way up to float rounding order.
     */
    public void setMemoryFormat(MemoryFormat format) { this.format = format; }

    private MemoryFormat format;
    private static final String CHANNELS_LAST = System.getProperty("diffusion4j.channelsLast", "auto").strip();

    private static boolean tensorCores(Tensor x) {
        return x.dtype() == DType.BF16 || x.dtype() == DType.F32 && (Autocast.active() == DType.BF16 || Precision.tf32Allowed());
    }

    private MemoryFormat memoryFormat(Tensor x) {
        if (format != null) return format;
        return switch (CHANNELS_LAST) {
            case "true" -> MemoryFormat.CHANNELS_LAST;
            case "false" -> MemoryFormat.CHANNELS_FIRST;
            case "auto" -> x.backend() instanceof ChannelsLastKernels && tensorCores(x) ? MemoryFormat.CHANNELS_LAST : MemoryFormat.CHANNELS_FIRST;
            default -> throw new IllegalArgumentException("-Ddiffusion4j.channelsLast must be auto, true or false, not " + CHANNELS_LAST);
        };
    }

    /**
     * The encoder half: the middle block's activations {@code [N, C, h, w]} for images x at timesteps t (labels as in
     * {@link #forward}). Feature networks for sample-quality metrics read these.
     */
    public Tensor encode(Tensor x, Tensor t, Tensor labels) {
        checkInput(x);
        checkContext(x, null);
        return encoder(x, embed(x, t, labels, null), new ArrayDeque<>(), null, MemoryFormat.CHANNELS_FIRST);
    }

    private void checkInput(Tensor x) {
        int c = cfg.inChannels() + cfg.lowResChannels();
        if (x.rank() != 4 || x.shape(1) != c)
            throw new IllegalArgumentException("U-Net expects [N, " + c + ", H, W] input" + (cfg.lowResChannels() > 0 ? " (x_t and the upsampled low-resolution image)" : "")
                    + ", got " + java.util.Arrays.toString(x.shape()));
    }

    private void checkContext(Tensor x, Tensor context) {
        if (cfg.contextDim() == 0) {
            if (context != null) throw new IllegalArgumentException("this U-Net has no cross-attention (context_dim 0) but was given a context");
            return;
        }
        if (context == null) throw new IllegalArgumentException("this text-conditioned U-Net needs a context [N, L, " + cfg.contextDim() + "] (the empty prompt's for unconditional)");
        if (context.rank() != 3 || context.shape(0) != x.shape(0) || context.shape(2) != cfg.contextDim())
            throw new IllegalArgumentException("context must be [" + x.shape(0) + ", L, " + cfg.contextDim() + "], got " + java.util.Arrays.toString(context.shape()));
    }

    /** Levels in [0, 1] are embedded at the timestep scale, where the sinusoid frequencies are spread. */
    static final double AUG_LEVEL_SCALE = 1000;

    private Tensor embed(Tensor x, Tensor t, Tensor labels, Tensor augLevel) {
        Tensor e = temb.forward(TimestepEmbedding.sinusoidal(t, cfg.baseChannels(), x.dtype()));
        if (augEmb != null) {
            Tensor lv = augLevel != null ? augLevel.to(x.dtype()) : Tensor.zeros(x.dtype(), x.device(), x.shape(0));
            e = e.add(augEmb.forward(TimestepEmbedding.sinusoidal(lv.mul(AUG_LEVEL_SCALE), cfg.baseChannels(), x.dtype())));
        }
        if (labelEmb != null) {
            Tensor ids = labels != null ? labels : Tensor.full(cfg.numClasses(), dev.diffusion4j.engine.DType.I64, x.device(), x.shape(0));
            e = e.add(labelEmb.forward(ids));
        }
        return e;
    }

    /** Input conv, down levels and middle block (x and the result in format f); pushes each level's output onto hs for the skip connections. */
    private Tensor encoder(Tensor x, Tensor e, Deque<Tensor> hs, Tensor context, MemoryFormat f) {
        Tensor h = cin.forward(x, null, true, f);
        hs.push(h);
        for (ModuleList<Module> blk : down) {
            h = runLevel(blk, h, e, context, f);
            hs.push(h);
        }
        h = ((ResBlock) mid.get(0)).forward(h, e, f);
        h = layer(mid.get(1), h, context, f);
        if (mid.size() > 3) h = layer(mid.get(3), h, context, f);
        return ((ResBlock) mid.get(2)).forward(h, e, f);
    }

    private static Tensor runLevel(ModuleList<Module> blk, Tensor h, Tensor e, Tensor context, MemoryFormat f) {
        if (blk.get(0) instanceof ResBlock rb) {
            h = rb.forward(h, e, f);
            for (int i = 1; i < blk.size(); i++) h = layer(blk.get(i), h, context, f);
            return h;
        }
        return layer(blk.get(0), h, context, f);
    }

    /** One attention, cross-attention or resampling layer on h in format f. */
    private static Tensor layer(Module m, Tensor h, Tensor context, MemoryFormat f) {
        return switch (m) {
            case SelfAttention2d a -> a.forward(h, f);
            // the text transformer works on tokens of channels-first maps; channels-last pays a transpose each way
            case SpatialTransformer st -> f.fromChannelsFirst(st.forward(f.toChannelsFirst(h), context));
            case Downsample d -> d.forward(h, f);
            case Upsample u -> u.forward(h, f);
            default -> throw new IllegalStateException("unexpected U-Net layer " + m.getClass().getSimpleName());
        };
    }

    /** Halves the resolution: stride-2 3x3 conv, or 2x2 average pooling. */
    static final class Downsample extends Module {
        private final Conv2d conv;

        Downsample(int c, boolean useConv, Generator gen) {
            conv = useConv ? registerModule("conv", new Conv2d(c, c, 3, 2, 1, gen)) : null;
        }

        @Override public Tensor forward(Tensor x) { return forward(x, MemoryFormat.CHANNELS_FIRST); }

        Tensor forward(Tensor x, MemoryFormat f) {
            if (conv != null) return conv.forward(x, null, true, f);
            if (f == MemoryFormat.CHANNELS_FIRST) return F.avgPool2d(x, 2, 2);
            int n = x.shape(0), h = x.shape(1), w = x.shape(2), c = x.shape(3);   // 2x2 means of [N, H, W, C] (H, W even)
            return x.reshape(n, h / 2, 2, w / 2, 2, c).mean(new int[] {2, 4}, false);
        }
    }

    /** Doubles the resolution: nearest neighbour, then a 3x3 conv when enabled. */
    static final class Upsample extends Module {
        private final Conv2d conv;

        Upsample(int c, boolean useConv, Generator gen) {
            conv = useConv ? registerModule("conv", new Conv2d(c, c, 3, 1, 1, gen)) : null;
        }

        @Override public Tensor forward(Tensor x) { return forward(x, MemoryFormat.CHANNELS_FIRST); }

        Tensor forward(Tensor x, MemoryFormat f) {
            Tensor u = F.upsampleNearest(x, 2, f);
            return conv != null ? conv.forward(u, null, true, f) : u;
        }
    }
}
