package dev.diffusion4j.models.unet2d;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.UNet2DConfig;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.Embedding;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.ModuleList;
import java.util.Deque;

/**
 * diffusers' UNet2DModel and UNet2DConditionModel (Stable Diffusion 1.x / 2.x layouts) with diffusers' module tree,
 * so a folder's weights load by name without any renaming: conv_in, time_proj (no weights), time_embedding.linear_1/2,
 * class_embedding (num_class_embeds), down_blocks.I, mid_block, up_blocks.I, conv_norm_out, conv_out. Built from a
 * {@link UNet2DConfig} (see {@link UNet2DFolder} for loading and saving folders); initial weights are PyTorch's
 * default initialisation drawn from the generator, not diffusers' own draws.
 *
 * <p>forward(x, t, labels): labels are needed exactly when the config has num_class_embeds (diffusers' class-conditional
 * models have no "no class" label; ours, exported by diffuse, have it as their last row: {@link UNet2DConfig#nullClass()}); forwardWithContext takes the text encoder's hidden states [N, L, cross_attention_dim]
 * for a UNet2DConditionModel, which needs them.
 */
public final class UNet2D extends DenoisingNetwork {
    private final UNet2DConfig cfg;
    private final UNet2DLayout layout;
    private final Conv2d convIn, convOut;
    private final TimestepMlp timeEmbedding;
    private final Embedding classEmbedding;   // null: unconditional
    private final ModuleList<UNetBlock> downBlocks, upBlocks;
    private final MidBlock2D midBlock;        // null: mid_block_type null
    private final GroupNorm convNormOut;

    public UNet2D(UNet2DConfig cfg, Generator gen) {
        this.cfg = cfg;
        layout = cfg.layout();
        UNet2DLayout l = layout;
        int b0 = l.blockOutChannels().getFirst();
        convIn = registerModule("conv_in", new Conv2d(l.inChannels(), b0, 3, 1, 1, gen));
        timeEmbedding = registerModule("time_embedding", new TimestepMlp(b0, l.timeEmbedDim(), gen));
        classEmbedding = l.numClassEmbeds() > 0 ? registerModule("class_embedding", new Embedding(l.numClassEmbeds(), l.timeEmbedDim(), gen)) : null;
        downBlocks = registerModule("down_blocks", new ModuleList<>());
        for (int i = 0; i < l.levels(); i++) downBlocks.add(UNetBlock.down(l, i, gen));
        midBlock = l.mid() != null ? registerModule("mid_block", new MidBlock2D(l, gen)) : null;
        upBlocks = registerModule("up_blocks", new ModuleList<>());
        for (int i = 0; i < l.levels(); i++) upBlocks.add(UNetBlock.up(l, i, gen));
        convNormOut = registerModule("conv_norm_out", new GroupNorm(l.groups(), b0, l.eps(), true));
        convOut = registerModule("conv_out", new Conv2d(b0, l.outChannels(), 3, 1, 1, gen));
    }

    @Override public UNet2DConfig config() { return cfg; }

    @Override public Tensor forward(Tensor x, Tensor t, Tensor labels) { return forwardWithContext(x, t, labels, null); }

    /** x [N, in, H, W] (H, W multiples of 2^(levels-1)), t [N] or [1], labels [N] i64 or null, context [N, L, D] or null -> [N, out, H, W]. */
    @Override public Tensor forwardWithContext(Tensor x, Tensor t, Tensor labels, Tensor context) {
        int m = layout.sizeMultiple();
        if (x.rank() != 4 || x.shape(1) != layout.inChannels() || x.shape(2) % m != 0 || x.shape(3) % m != 0)
            throw new IllegalArgumentException("this " + cfg.className() + " expects [N, " + layout.inChannels() + ", H, W] with H and W multiples of "
                    + m + ", got " + Shape.str(x.shape()));
        int n = x.shape(0);
        checkContext(n, context);
        if (t.rank() != 1 || (t.shape(0) != n && t.shape(0) != 1))
            throw new IllegalArgumentException("timesteps must be [" + n + "] or [1], got " + Shape.str(t.shape()));
        if (layout.centerInput()) x = x.mul(2).sub(1);
        Tensor tt = t.shape(0) == n ? t : t.expand(n);
        Tensor proj = TimeProjection.embed(tt, layout.blockOutChannels().getFirst(), layout.flipSinToCos(), layout.freqShift());
        Tensor temb = timeEmbedding.forward(proj.dtype() == x.dtype() ? proj : proj.to(x.dtype()));   // f32, then the sample's dtype, as diffusers
        if (classEmbedding != null) {
            if (labels == null) throw new IllegalArgumentException("this " + cfg.className() + " is class-conditional (num_class_embeds "
                    + layout.numClassEmbeds() + "): give a label per image; " + (cfg.nullClass() ? "label " + cfg.numClasses() + " is its 'no class'"
                    : "it has no 'no class' label"));
            if (labels.rank() != 1 || labels.shape(0) != n)
                throw new IllegalArgumentException("labels must be [" + n + "], got " + Shape.str(labels.shape()));
            Tensor c = classEmbedding.forward(labels.dtype() == DType.I64 ? labels : labels.to(DType.I64));
            temb = temb.add(c.dtype() == temb.dtype() ? c : c.to(temb.dtype()));
        } else if (labels != null) {
            throw new IllegalArgumentException("this " + cfg.className() + " has no class embedding (num_class_embeds is null); give no labels");
        }
        Tensor h = convIn.forward(x);
        Deque<Tensor> skips = UNetBlock.newSkips();
        skips.push(h);
        for (UNetBlock b : downBlocks) h = b.forward(h, temb, context, skips);
        if (midBlock != null) h = midBlock.forward(h, temb, context);
        for (UNetBlock b : upBlocks) h = b.forward(h, temb, context, skips);
        return convOut.forward(convNormOut.forwardSilu(h));
    }

    private void checkContext(int n, Tensor context) {
        int d = layout.contextDim();
        if (d == 0 && context != null)
            throw new IllegalArgumentException("a " + cfg.className() + " has no cross-attention; it cannot take a text context");
        if (d > 0 && context == null)
            throw new IllegalArgumentException("this " + cfg.className() + " cross-attends: give a context [N, L, " + d + "] (encoder_hidden_states)");
        if (context != null && (context.rank() != 3 || context.shape(0) != n || context.shape(2) != d))
            throw new IllegalArgumentException("context must be [" + n + ", L, " + d + "], got " + Shape.str(context.shape()));
    }

    public UNet2DLayout layout() { return layout; }

    @Override public String typeName() { return cfg.className(); }
}
