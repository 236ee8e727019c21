package dev.diffusion4j.nn;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * Multi-head attention of query tokens [N, L, C] over a context [N, M, Dctx] (itself when the context is null):
 * to_q/to_k/to_v (bias-free unless asked), and to_out.0 with bias (index 1 of diffusers' to_out is a dropout, here an identity).
 */
public final class CrossAttention extends Module {
    private final int heads, headDim;
    private final Linear toQ, toK, toV;
    private final Sequential toOut;

    /** @param contextDim width of the context vectors; queryDim for self-attention */
    public CrossAttention(int queryDim, int contextDim, int heads, int headDim, Generator gen) { this(queryDim, contextDim, heads, headDim, false, gen); }

    /** @param qkvBias whether to_q/to_k/to_v have biases (diffusers' attention_bias, as in its DiT) */
    public CrossAttention(int queryDim, int contextDim, int heads, int headDim, boolean qkvBias, Generator gen) {
        if (heads < 1 || headDim < 1) throw new IllegalArgumentException("CrossAttention needs heads >= 1 and head dim >= 1, got " + heads + " and " + headDim);
        this.heads = heads;
        this.headDim = headDim;
        int inner = heads * headDim;
        toQ = registerModule("to_q", new Linear(queryDim, inner, qkvBias, gen));
        toK = registerModule("to_k", new Linear(contextDim, inner, qkvBias, gen));
        toV = registerModule("to_v", new Linear(contextDim, inner, qkvBias, gen));
        toOut = registerModule("to_out", new Sequential(new Linear(inner, queryDim, gen), new Identity()));
    }

    @Override public Tensor forward(Tensor x) { return forward(x, null); }

    /** x [N, L, C], context [N, M, Dctx] or null (self-attention) -> [N, L, C]. */
    public Tensor forward(Tensor x, Tensor context) {
        Tensor ctx = context == null ? x : context;
        if (ctx.shape(0) != x.shape(0))
            throw new IllegalArgumentException("CrossAttention: " + x.shape(0) + " queries but a context batch of " + ctx.shape(0));
        int n = x.shape(0), l = x.shape(1);
        Tensor o = F.scaledDotProductAttention(split(toQ.forward(x)), split(toK.forward(ctx)), split(toV.forward(ctx)), null, Double.NaN);
        return toOut.forward(o.transpose(1, 2).reshape(n, l, heads * headDim));
    }

    /** [N, L, H*D] -> [N, H, L, D]. */
    private Tensor split(Tensor t) { return t.reshape(t.shape(0), t.shape(1), heads, headDim).transpose(1, 2); }

    public int heads() { return heads; }

    @Override protected String extraRepr() { return "heads=" + heads + ", head_dim=" + headDim; }
}
