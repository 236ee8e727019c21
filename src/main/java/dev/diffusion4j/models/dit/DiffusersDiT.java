package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.nn.Buffer;
import dev.diffusion4j.nn.LayerNorm;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.ModuleList;

/**
 * A DiT with diffusers' parameter names and arithmetic ({@code DiTTransformer2DModel}), so a diffusers folder loads
 * into it by name and it computes what diffusers computes: every block has its own copy of the timestep and label
 * embedders (timestep features with frequency shift 1), attention has separate q/k/v, the final layer's shift and
 * scale come from block 0's conditioning vector (proj_out_1), and the position table (the released DiT's, column
 * first) is recomputed, never saved. The layers it shares with {@link dev.diffusion4j.models.DiT} are
 * {@link PatchEmbed}, {@link LabelEmbedder}, the timestep features and the adaLN-Zero residual branches.
 * Load one with {@link DiffusersDiTFolder#load}; {@link #config()} gives its shape in diffusion4j's terms (its
 * {@code build} makes a reference-layout {@link dev.diffusion4j.models.DiT}, not this class).
 */
public final class DiffusersDiT extends DenoisingNetwork {
    private final DiffusersDiTConfig diffusersConfig;
    private final DiTConfig cfg;
    private final PatchEmbed patch;
    private final Buffer positions;
    private final ModuleList<AdaNormZeroBlock> blocks;
    private final LayerNorm normOut;
    private final Linear projOut1, projOut2;

    /** A randomly initialised model (zero adaLN and output layers, as the DiT reference); legacy: a Transformer2DModel config. */
    public DiffusersDiT(DiffusersDiTConfig config, boolean legacy, Generator gen) {
        diffusersConfig = config.checkSupported();
        cfg = config.toDiTConfig();
        int d = cfg.hiddenSize(), p = cfg.patchSize(), g = cfg.gridSize();
        patch = registerModule("pos_embed", new PatchEmbed(cfg.inChannels(), d, p, gen));
        positions = registerBuffer("positions", Tensor.of(PositionTable.sinCos2d(d, g, true, config.positionScale(legacy)), 1, g * g, d).to(DType.F32), false);
        blocks = registerModule("transformer_blocks", new ModuleList<>());
        for (int i = 0; i < cfg.depth(); i++) blocks.add(new AdaNormZeroBlock(config, gen));
        normOut = registerModule("norm_out", new LayerNorm(new int[] {d}, 1e-6, false));
        projOut1 = registerModule("proj_out_1", InitLinear.zero(d, 2 * d));
        projOut2 = registerModule("proj_out_2", InitLinear.zero(d, p * p * cfg.outChannels()));
    }

    /** The model's shape: input, patch, width, depth, heads, classes, and learned variance when out_channels is 2 x in_channels. */
    @Override public DiTConfig config() { return cfg; }

    /** The config.json this model was built from. */
    public DiffusersDiTConfig diffusersConfig() { return diffusersConfig; }

    /** x [N, C, H, W], t [N], labels [N] (i64; null or numClasses: "no class") -> [N, out_channels, H, W]. */
    @Override public Tensor forward(Tensor x, Tensor t, Tensor labels) {
        int r = cfg.resolution(), p = cfg.patchSize(), g = cfg.gridSize(), out = cfg.outChannels();
        if (x.rank() != 4 || x.shape(1) != cfg.inChannels() || x.shape(2) != r || x.shape(3) != r)
            throw new IllegalArgumentException("this DiT expects [N, " + cfg.inChannels() + ", " + r + ", " + r + "] input (sample_size " + r
                    + "), got " + Shape.str(x.shape()));
        int n = x.shape(0);
        Tensor h = patch.forward(x), pos = positions.get();
        h = h.dtype() == pos.dtype() ? h.add(pos) : h.to(pos.dtype()).add(pos).to(h.dtype());   // diffusers adds in f32, then casts
        for (AdaNormZeroBlock b : blocks) h = b.forward(h, t, labels);
        Tensor[] m = projOut1.forward(F.silu(blocks.get(0).conditioning(t, labels, h.dtype()))).chunk(2, 1);
        h = projOut2.forward(Modulation.modulatedNorm(normOut, h, m[0], m[1]));            // [N, g*g, p*p*out]
        return h.reshape(n, g, g, p, p, out).permute(0, 5, 1, 3, 2, 4).reshape(n, out, r, r);
    }

    PatchEmbed patchEmbed() { return patch; }
    ModuleList<AdaNormZeroBlock> blocks() { return blocks; }
    Linear projOut1() { return projOut1; }
    Linear projOut2() { return projOut2; }
}
