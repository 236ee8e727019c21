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
import dev.diffusion4j.models.dit.TimestepEmbedder;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.ModuleList;
import dev.diffusion4j.nn.Parameter;

/**
 * The Diffusion Transformer (Peebles and Xie 2023): patch tokens plus a fixed 2-D sin-cos position table, a
 * conditioning vector (timestep embedding plus class embedding), a stack of adaLN-Zero blocks, and a final layer
 * whose per-token outputs are reassembled into the image. Parameter names and initialisation follow the reference
 * models.py (restated in ../shared/bench/dit.py): Glorot-uniform linears with zero biases, normal(0.02) timestep MLP
 * and label table, zero adaLN and output layers. The position table is a frozen parameter named pos_embed, as there,
 * so it is counted, saved and loaded like the reference's, and never trained.
 */
public final class DiT extends DenoisingNetwork {
    private final DiTConfig cfg;
    private final PatchEmbed xEmbedder;
    private final TimestepEmbedder tEmbedder;
    private final LabelEmbedder yEmbedder;
    private final Parameter posEmbed;
    private final ModuleList<DiTBlock> blocks;
    private final FinalLayer finalLayer;

    public DiT(DiTConfig cfg, Generator gen) {
        this.cfg = cfg;
        int d = cfg.hiddenSize();
        xEmbedder = registerModule("x_embedder", new PatchEmbed(cfg.inChannels(), d, cfg.patchSize(), gen));
        tEmbedder = registerModule("t_embedder", new TimestepEmbedder(d, gen));
        yEmbedder = cfg.numClasses() > 0 ? registerModule("y_embedder", new LabelEmbedder(cfg.numClasses(), d, gen)) : null;
        posEmbed = registerParameter("pos_embed", Tensor.of(PositionTable.sinCos2d(d, cfg.gridSize()), 1, cfg.numTokens(), d).to(DType.F32));
        posEmbed.requiresGrad(false);
        blocks = registerModule("blocks", new ModuleList<>());
        for (int i = 0; i < cfg.depth(); i++) blocks.add(new DiTBlock(d, cfg.numHeads(), cfg.mlpHidden(), gen));
        finalLayer = registerModule("final_layer", new FinalLayer(d, cfg.patchSize(), cfg.outChannels()));
    }

    @Override public DiTConfig config() { return cfg; }

    @Override public Tensor forward(Tensor x, Tensor t, Tensor labels) {
        int r = cfg.resolution(), p = cfg.patchSize(), g = cfg.gridSize(), out = cfg.outChannels();
        if (x.rank() != 4 || x.shape(1) != cfg.inChannels() || x.shape(2) != r || x.shape(3) != r)
            throw new IllegalArgumentException("this DiT expects [N, " + cfg.inChannels() + ", " + r + ", " + r + "] input (its position table is "
                    + g + "x" + g + " patches), got " + Shape.str(x.shape()));
        int n = x.shape(0);
        Tensor h = xEmbedder.forward(x).add(posEmbed.data());
        Tensor c = tEmbedder.forward(t, x.dtype());
        if (yEmbedder != null) c = c.add(yEmbedder.forward(labels, n, x.device()));
        for (DiTBlock b : blocks) h = b.forward(h, c);
        h = finalLayer.forward(h, c);                                          // [N, g*g, p*p*out]
        return h.reshape(n, g, g, p, p, out).permute(0, 5, 1, 3, 2, 4).reshape(n, out, r, r);
    }
}
