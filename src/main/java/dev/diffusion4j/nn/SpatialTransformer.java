package dev.diffusion4j.nn;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * Lets feature maps [N, C, H, W] attend to a context [N, M, Dctx] (Stable Diffusion's Transformer2DModel): GroupNorm
 * "norm", a 1x1-conv "proj_in" (the SD 1.x choice, not a Linear), every pixel a token through transformer_blocks.K,
 * a 1x1-conv "proj_out", and the input added back. proj_out may start at zero so the block begins as the identity.
 */
public final class SpatialTransformer extends Module {
    private final int channels;
    private final GroupNorm norm;
    private final Conv2d projIn, projOut;
    private final ModuleList<BasicTransformerBlock> blocks;

    public SpatialTransformer(int channels, int contextDim, int heads, int depth, int normGroups, boolean zeroInitOut, Generator gen) {
        if (heads < 1 || channels % heads != 0)
            throw new IllegalArgumentException("SpatialTransformer: " + channels + " channels cannot be split into " + heads + " heads");
        this.channels = channels;
        norm = registerModule("norm", new GroupNorm(normGroups, channels, 1e-6, true));
        projIn = registerModule("proj_in", new Conv2d(channels, channels, 1, gen));
        blocks = registerModule("transformer_blocks", new ModuleList<>());
        for (int i = 0; i < depth; i++) blocks.add(new BasicTransformerBlock(channels, contextDim, heads, channels / heads, gen));
        projOut = registerModule("proj_out", new Conv2d(channels, channels, 1, gen));
        if (zeroInitOut) Init.zero(projOut);
    }

    /** x [N, C, H, W], context [N, M, Dctx] -> [N, C, H, W]. */
    public Tensor forward(Tensor x, Tensor context) {
        if (x.rank() != 4 || x.shape(1) != channels)
            throw new IllegalArgumentException("SpatialTransformer expects [N, " + channels + ", H, W], got " + java.util.Arrays.toString(x.shape()));
        int n = x.shape(0), h = x.shape(2), w = x.shape(3);
        Tensor t = projIn.forward(norm.forward(x)).reshape(n, channels, h * w).transpose(1, 2);   // [N, HW, C]
        for (BasicTransformerBlock b : blocks) t = b.forward(t, context);
        return x.add(projOut.forward(t.transpose(1, 2).reshape(n, channels, h, w)));
    }

    public int channels() { return channels; }
}
