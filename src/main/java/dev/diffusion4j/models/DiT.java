package dev.diffusion4j.models;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.dit.DiTBlock;
import dev.diffusion4j.models.dit.FinalLayer;
import dev.diffusion4j.models.dit.LabelEmbedder;
import dev.diffusion4j.models.dit.PatchEmbed;
import dev.diffusion4j.models.dit.PositionTable;
import dev.diffusion4j.models.dit.ResidualStream;
import dev.diffusion4j.models.dit.TextParts;
import dev.diffusion4j.models.dit.TimestepEmbedder;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.ModuleList;
import dev.diffusion4j.nn.Parameter;

/**
 * The Diffusion Transformer (Peebles and Xie 2023): patch tokens plus a fixed 2-D sin-cos position table, a
 * conditioning vector (timestep embedding plus class embedding), a stack of adaLN-Zero blocks, and a final layer
 * whose per-token outputs are reassembled into the image. Parameter names and initialisation follow the reference
 * models.py (restated in ../shared/bench/dit.py): Glorot-uniform linears with zero biases, normal(0.02) timestep MLP
 * and label table, zero adaLN and output layers. The position table is a frozen parameter named pos_embed, as there,
 * so it is counted, saved and loaded like the reference's, and never trained.
 *
 * <p>With a context dimension (text conditioning, see docs/dit.md "Text conditioning") every block gains a residual
 * cross-attention to the text encoder's hidden states, {@code blocks.N.cross_attn.{to_q,to_k,to_v}.weight} and
 * {@code blocks.N.cross_attn.to_out.0.{weight,bias}}, and the context's mean token enters the conditioning vector
 * through {@code text_pool_proj.{weight,bias}}: c = t_emb (+ y_emb) + text_pool_proj(mean context). Those weights are
 * drawn from a fork of the generator, so the other weights equal those of the DiT without text from the same seed, and
 * the parts that feed the residual stream start at zero. Without a context dimension the names are the reference's.
 */
public final class DiT extends DenoisingNetwork {
    private final DiTConfig cfg;
    private final PatchEmbed xEmbedder;
    private final TimestepEmbedder tEmbedder;
    private final LabelEmbedder yEmbedder;
    private final Linear textPoolProj;          // null: no text
    private final Parameter posEmbed;
    private final ModuleList<DiTBlock> blocks;
    private final FinalLayer finalLayer;
    /** Salt of the generator fork that draws the text-only weights. */
    private static final long TEXT_SALT = 0x7E47;

    public DiT(DiTConfig cfg, Generator gen) {
        this.cfg = cfg;
        int d = cfg.hiddenSize();
        xEmbedder = registerModule("x_embedder", new PatchEmbed(cfg.inChannels(), d, cfg.patchSize(), gen));
        tEmbedder = registerModule("t_embedder", new TimestepEmbedder(d, gen));
        yEmbedder = cfg.numClasses() > 0 ? registerModule("y_embedder", new LabelEmbedder(cfg.numClasses(), d, gen)) : null;
        textPoolProj = cfg.contextDim() > 0 ? registerModule("text_pool_proj", TextParts.poolProjection(cfg.contextDim(), d)) : null;
        posEmbed = registerParameter("pos_embed", Tensor.of(PositionTable.sinCos2d(d, cfg.gridSize()), 1, cfg.numTokens(), d).to(DType.F32));
        posEmbed.requiresGrad(false);
        blocks = registerModule("blocks", new ModuleList<>());
        Generator textGen = gen.fork(TEXT_SALT);
        for (int i = 0; i < cfg.depth(); i++) blocks.add(new DiTBlock(d, cfg.numHeads(), cfg.mlpHidden(), cfg.contextDim(), gen, textGen));
        finalLayer = registerModule("final_layer", new FinalLayer(d, cfg.patchSize(), cfg.outChannels()));
    }

    @Override public DiTConfig config() { return cfg; }

    @Override public Tensor forward(Tensor x, Tensor t, Tensor labels) { return forward(x, t, labels, null); }

    /** As {@link #forward(Tensor, Tensor, Tensor)} with a context [N, L, contextDim] for a text-conditioned DiT. */
    @Override public Tensor forwardWithContext(Tensor x, Tensor t, Tensor labels, Tensor context) { return forward(x, t, labels, context); }

    /** x [N, C, H, W], t [N], labels [N] or null, context [N, L, contextDim] (exactly when text-conditioned) or null. */
    public Tensor forward(Tensor x, Tensor t, Tensor labels, Tensor context) {
        int r = cfg.resolution(), p = cfg.patchSize(), g = cfg.gridSize(), out = cfg.outChannels();
        if (x.rank() != 4 || x.shape(1) != cfg.inChannels() || x.shape(2) != r || x.shape(3) != r)
            throw new IllegalArgumentException("this DiT expects [N, " + cfg.inChannels() + ", " + r + ", " + r + "] input (its position table is "
                    + g + "x" + g + " patches), got " + Shape.str(x.shape()));
        int n = x.shape(0);
        checkContext(n, context);
        ResidualStream h = new ResidualStream(xEmbedder.forward(x).add(posEmbed.data()));
        Tensor c = tEmbedder.forward(t, x.dtype());
        if (yEmbedder != null) c = c.add(yEmbedder.forward(labels, n, x.device()));
        if (textPoolProj != null) c = c.add(textPoolProj.forward(TextParts.pool(context)));
        for (DiTBlock b : blocks) b.forward(h, c, context);   // each block's last branch is added by the next norm
        Tensor y = finalLayer.forward(h, c);                                   // [N, g*g, p*p*out]
        return y.reshape(n, g, g, p, p, out).permute(0, 5, 1, 3, 2, 4).reshape(n, out, r, r);
    }

    private void checkContext(int n, Tensor context) {
        int dc = cfg.contextDim();
        if (dc == 0) {
            if (context != null) throw new IllegalArgumentException("this DiT has no cross-attention (context_dim 0) but was given a context");
            return;
        }
        if (context == null) throw new IllegalArgumentException("this text-conditioned DiT needs a context [N, L, " + dc + "] (the empty prompt's for unconditional)");
        if (context.rank() != 3 || context.shape(0) != n || context.shape(2) != dc)
            throw new IllegalArgumentException("context must be [" + n + ", L, " + dc + "], got " + Shape.str(context.shape()));
    }
}
