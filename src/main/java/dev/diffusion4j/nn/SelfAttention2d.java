package dev.diffusion4j.nn;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.MemoryFormat;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * The U-Net's spatial self-attention block (ADM's AttentionBlock): x + proj_out(attention(qkv(norm(x)))), with
 * every pixel of [N, C, H, W] a token, 1x1 convolutions for qkv [3C] and the output projection, and multi-head
 * scaled dot-product attention. Children are named norm, qkv and proj_out as in ADM so checkpoints map over.
 */
public final class SelfAttention2d extends Module {
    /** How the 3C qkv channels are ordered; ADM's default (legacy) puts heads outermost. */
    public enum QkvLayout {
        /** [heads][q, k, v][D]: guided-diffusion's QKVAttentionLegacy. */
        HEADS_FIRST,
        /** [q, k, v][heads][D]: guided-diffusion's QKVAttention (use_new_attention_order). */
        QKV_FIRST
    }

    private final int channels, heads;
    private final QkvLayout layout;
    private final GroupNorm norm;
    private final Conv2d qkv, projOut;

    /**
     * @param heads      number of heads; channels must be divisible by it
     * @param normGroups groups of the GroupNorm (32 in DDPM and ADM)
     * @param zeroInitOut start the output projection at zero so the block begins as the identity (ADM's zero_module)
     */
    public SelfAttention2d(int channels, int heads, int normGroups, boolean zeroInitOut, QkvLayout layout, Generator gen) {
        if (heads <= 0 || channels % heads != 0)
            throw new IllegalArgumentException("SelfAttention2d: " + channels + " channels cannot be split into " + heads + " heads");
        this.channels = channels;
        this.heads = heads;
        this.layout = layout;
        this.norm = registerModule("norm", new GroupNorm(normGroups, channels));
        this.qkv = registerModule("qkv", new Conv2d(channels, 3 * channels, 1, gen));
        this.projOut = registerModule("proj_out", new Conv2d(channels, channels, 1, gen));
        if (zeroInitOut) Init.zero(projOut);
    }

    public SelfAttention2d(int channels, int heads, int normGroups, boolean zeroInitOut, Generator gen) {
        this(channels, heads, normGroups, zeroInitOut, QkvLayout.HEADS_FIRST, gen);
    }

    /** Heads of a fixed width instead of a fixed count (ADM's num_head_channels). */
    public static SelfAttention2d withHeadChannels(int channels, int headChannels, int normGroups, boolean zeroInitOut, Generator gen) {
        if (headChannels <= 0 || channels % headChannels != 0)
            throw new IllegalArgumentException("SelfAttention2d: " + channels + " channels are not a multiple of " + headChannels + " head channels");
        return new SelfAttention2d(channels, channels / headChannels, normGroups, zeroInitOut, gen);
    }

    @Override public Tensor forward(Tensor x) { return forward(x, MemoryFormat.CHANNELS_FIRST); }

    /** As {@link #forward(Tensor)} on x in the given format (channels-last: [N, H, W, C], where pixels are already tokens). */
    public Tensor forward(Tensor x, MemoryFormat format) {
        boolean last = format == MemoryFormat.CHANNELS_LAST;
        if (x.rank() != 4 || x.shape(format.channelDim(4)) != channels)
            throw new IllegalArgumentException("SelfAttention2d expects " + (last ? "[N, H, W, " + channels + "]" : "[N, " + channels + ", H, W]")
                    + ", got " + java.util.Arrays.toString(x.shape()));
        int n = x.shape(0), h = x.shape(last ? 1 : 2), w = x.shape(last ? 2 : 3), l = h * w, d = channels / heads;
        Tensor t = qkv.forward(norm.forward(x, false, format), null, true, format);
        // split into q, k, v of tokens-major [N, heads, L, D]: from [N, heads, D, L] channels-first, [N, L, heads, D] channels-last
        boolean headsFirst = layout == QkvLayout.HEADS_FIRST;
        Tensor parts = last ? (headsFirst ? t.reshape(n, l, heads, 3, d) : t.reshape(n, l, 3, heads, d))
                : (headsFirst ? t.reshape(n, heads, 3, d, l) : t.reshape(n, 3, heads, d, l));
        int splitDim = last ? (headsFirst ? 3 : 2) : (headsFirst ? 2 : 1);
        Tensor[] qkvParts = new Tensor[3];
        for (int i = 0; i < 3; i++) qkvParts[i] = last ? parts.select(splitDim, i).transpose(1, 2) : parts.select(splitDim, i).transpose(-1, -2);
        Tensor a = F.scaledDotProductAttention(qkvParts[0], qkvParts[1], qkvParts[2], null, Double.NaN);   // [N, heads, L, D]
        Tensor merged = last ? a.transpose(1, 2).reshape(n, h, w, channels) : a.transpose(-1, -2).reshape(n, channels, h, w);
        return projOut.forward(merged, x, true, format);
    }

    public int channels() { return channels; }
    public int heads() { return heads; }
    public QkvLayout layout() { return layout; }
    public GroupNorm norm() { return norm; }
    public Conv2d qkv() { return qkv; }
    public Conv2d projOut() { return projOut; }

    @Override protected String extraRepr() { return "heads=" + heads + ", layout=" + layout.name().toLowerCase(java.util.Locale.ROOT); }
}
