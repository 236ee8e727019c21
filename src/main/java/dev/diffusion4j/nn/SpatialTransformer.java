package dev.diffusion4j.nn;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * Lets feature maps [N, C, H, W] attend to a context [N, M, Dctx] (Stable Diffusion's Transformer2DModel): GroupNorm
 * "norm", a 1x1-conv "proj_in" (the SD 1.x choice; a Linear on the tokens with diffusers' use_linear_projection, as
 * SD 2.x has it), every pixel a token through transformer_blocks.K, a 1x1-conv (or Linear) "proj_out", and the input
 * added back. proj_out may start at zero so the block begins as the identity.
 */
public final class SpatialTransformer extends Module {
    private final int channels;
    private final GroupNorm norm;
    private final Module projIn, projOut;   // Conv2d 1x1, or Linear with linear projection
    private final boolean linearProjection;
    private final ModuleList<BasicTransformerBlock> blocks;

    public SpatialTransformer(int channels, int contextDim, int heads, int depth, int normGroups, boolean zeroInitOut, Generator gen) {
        this(channels, contextDim, heads, depth, normGroups, false, zeroInitOut, gen);
    }

    /** @param linearProjection proj_in and proj_out as Linear layers on the tokens instead of 1x1 convolutions */
    public SpatialTransformer(int channels, int contextDim, int heads, int depth, int normGroups, boolean linearProjection,
                              boolean zeroInitOut, Generator gen) {
        if (heads < 1 || channels % heads != 0)
            throw new IllegalArgumentException("SpatialTransformer: " + channels + " channels cannot be split into " + heads + " heads");
        this.channels = channels;
        this.linearProjection = linearProjection;
        norm = registerModule("norm", new GroupNorm(normGroups, channels, 1e-6, true));
        projIn = registerModule("proj_in", linearProjection ? new Linear(channels, channels, gen) : new Conv2d(channels, channels, 1, gen));
        blocks = registerModule("transformer_blocks", new ModuleList<>());
        for (int i = 0; i < depth; i++) blocks.add(new BasicTransformerBlock(channels, contextDim, heads, channels / heads, gen));
        projOut = registerModule("proj_out", linearProjection ? new Linear(channels, channels, gen) : new Conv2d(channels, channels, 1, gen));
        if (zeroInitOut) Init.zero(projOut);
    }

    /** x [N, C, H, W], context [N, M, Dctx] -> [N, C, H, W]. */
    public Tensor forward(Tensor x, Tensor context) {
        if (x.rank() != 4 || x.shape(1) != channels)
            throw new IllegalArgumentException("SpatialTransformer expects [N, " + channels + ", H, W], got " + java.util.Arrays.toString(x.shape()));
        int n = x.shape(0), h = x.shape(2), w = x.shape(3);
        Tensor t;   // [N, HW, C]
        if (linearProjection) t = projIn.forward(tokens(norm.forward(x), n, h * w));
        else t = tokens(projIn.forward(norm.forward(x)), n, h * w);
        for (BasicTransformerBlock b : blocks) t = b.forward(t, context);
        Tensor y = linearProjection ? projOut.forward(t).transpose(1, 2).reshape(n, channels, h, w)
                : projOut.forward(t.transpose(1, 2).reshape(n, channels, h, w));
        return x.add(y);
    }

    private Tensor tokens(Tensor maps, int n, int l) { return maps.reshape(n, channels, l).transpose(1, 2); }

    public int channels() { return channels; }
    public boolean linearProjection() { return linearProjection; }
}
