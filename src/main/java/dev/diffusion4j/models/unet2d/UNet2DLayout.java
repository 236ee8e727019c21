package dev.diffusion4j.models.unet2d;

import java.util.List;

/**
 * A diffusers U-Net with its config resolved: per level the block kind and attention heads (UNet2DModel's
 * attention_head_dim is the width of a head, UNet2DConditionModel's the number of heads), the widths each block sees,
 * and the shared settings. {@link UNet2D} builds from it and {@link #parameterCount()} counts from it.
 *
 * @param timeEmbedDim     width of the time embedding (time_embedding_dim, else 4 x block_out_channels[0])
 * @param down             the down blocks, in order
 * @param mid              the mid block, null for none (mid_block_type null)
 * @param up               the up blocks, in order (widths reversed)
 * @param numClassEmbeds   rows of class_embedding (num_class_embeds), 0 for none
 * @param contextDim       cross_attention_dim of the transformer blocks, 0 without cross-attention
 * @param scaleShift       resnet_time_scale_shift "scale_shift": the time embedding scales and shifts norm2's output
 */
public record UNet2DLayout(int inChannels, int outChannels, boolean centerInput, boolean flipSinToCos, double freqShift, int timeEmbedDim,
                           List<Integer> blockOutChannels, int layersPerBlock, List<Block> down, Mid mid, List<Block> up, int groups,
                           double eps, double dropout, int downsamplePadding, int numClassEmbeds, int contextDim, boolean linearProjection,
                           boolean scaleShift) {

    /** What attends inside a block: nothing (DownBlock2D, UpBlock2D), self-attention (Attn*), or a Transformer2DModel (CrossAttn*). */
    public enum Attention { NONE, SELF, CROSS }

    /** One down or up block: its diffusers type, attention kind, heads and transformer depth (CROSS only). */
    public record Block(String type, Attention attention, int heads, int depth) {}

    /**
     * The mid block: UNetMidBlock2D (SELF, or NONE with add_attention false) or UNetMidBlock2DCrossAttn (CROSS), its
     * heads, the attention's GroupNorm groups (SELF) and mid_block_scale_factor.
     */
    public record Mid(String type, Attention attention, int heads, int attnGroups, int depth, double scale) {}

    public UNet2DLayout {
        blockOutChannels = List.copyOf(blockOutChannels);
        down = List.copyOf(down);
        up = List.copyOf(up);
    }

    public int levels() { return blockOutChannels.size(); }

    /** Input side must be a multiple of this (each level but the last halves it; diffusers' upsample_size case is not supported). */
    public int sizeMultiple() { return 1 << (levels() - 1); }

    /** Input channels of down block i. */
    public int downIn(int i) { return blockOutChannels.get(Math.max(0, i - 1)); }

    public int downOut(int i) { return blockOutChannels.get(i); }

    /** Output width of up block i (the widths reversed). */
    public int upOut(int i) { return blockOutChannels.get(levels() - 1 - i); }

    /** Width coming up from below into up block i. */
    public int upPrev(int i) { return blockOutChannels.get(levels() - 1 - Math.max(0, i - 1)); }

    /** Width of the skip from the down path that enters up block i's last resnet. */
    public int upSkipIn(int i) { return blockOutChannels.get(levels() - 1 - Math.min(i + 1, levels() - 1)); }

    /** Parameters of the network this layout builds, counted without allocating them. */
    public long parameterCount() {
        int b0 = blockOutChannels.getFirst(), t = timeEmbedDim;
        long n = conv(inChannels, b0, 3) + linear(b0, t, true) + linear(t, t, true) + (long) numClassEmbeds * t;
        for (int i = 0; i < levels(); i++) {
            int out = downOut(i);
            for (int j = 0; j < layersPerBlock; j++) n += resnet(j == 0 ? downIn(i) : out, out) + attention(down.get(i).attention(), out, down.get(i).depth());
            if (i < levels() - 1) n += conv(out, out, 3);
        }
        if (mid != null) {
            int c = blockOutChannels.getLast();
            n += 2 * resnet(c, c) + attention(mid.attention(), c, mid.depth());
        }
        for (int i = 0; i < levels(); i++) {
            int out = upOut(i);
            for (int j = 0; j <= layersPerBlock; j++) {
                int skip = j == layersPerBlock ? upSkipIn(i) : out;
                n += resnet((j == 0 ? upPrev(i) : out) + skip, out) + attention(up.get(i).attention(), out, up.get(i).depth());
            }
            if (i < levels() - 1) n += conv(out, out, 3);
        }
        return n + 2L * b0 + conv(b0, outChannels, 3);
    }

    private long resnet(int cin, int cout) {
        return 2L * cin + conv(cin, cout, 3) + linear(timeEmbedDim, scaleShift ? 2 * cout : cout, true) + 2L * cout + conv(cout, cout, 3) + (cin != cout ? conv(cin, cout, 1) : 0);
    }

    private long attention(Attention kind, int c, int depth) {
        return switch (kind) {
            case NONE -> 0;
            case SELF -> 2L * c + 4 * linear(c, c, true);
            case CROSS -> {
                long block = 3 * 2L * c                                            // norm1..3
                        + 3 * linear(c, c, false) + linear(c, c, true)              // attn1
                        + linear(c, c, false) + 2 * linear(contextDim, c, false) + linear(c, c, true)   // attn2
                        + linear(c, 8 * c, true) + linear(4 * c, c, true);          // ff: GEGLU proj, out
                yield 2L * c + 2 * linear(c, c, true) + depth * block;              // norm, proj_in/out (1x1 conv or linear: same count)
            }
        };
    }

    private static long conv(long cin, long cout, int k) { return cin * cout * k * k + cout; }

    private static long linear(long in, long out, boolean bias) { return in * out + (bias ? out : 0); }
}
