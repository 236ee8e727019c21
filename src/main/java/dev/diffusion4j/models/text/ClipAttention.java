package dev.diffusion4j.models.text;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;

/**
 * Multi-head self-attention with separate q/k/v/out projections (transformers' CLIPAttention names), scores scaled by
 * 1/sqrt(head dim), under an additive mask (the causal mask for text).
 */
public final class ClipAttention extends Module {
    private final int heads;
    private final Linear q, k, v, out;

    public ClipAttention(ClipTextConfig c, Generator gen) {
        int d = c.hiddenSize();
        heads = c.numAttentionHeads();
        // transformers' initialisation of CLIP: depth-scaled normal weights, zero biases
        double inStd = Math.pow(d, -0.5) * Math.pow(2.0 * c.numHiddenLayers(), -0.5) * c.initializerFactor();
        double outStd = Math.pow(d, -0.5) * c.initializerFactor();
        k = registerModule("k_proj", init(new Linear(d, d, gen), inStd, gen));
        v = registerModule("v_proj", init(new Linear(d, d, gen), inStd, gen));
        q = registerModule("q_proj", init(new Linear(d, d, gen), inStd, gen));
        out = registerModule("out_proj", init(new Linear(d, d, gen), outStd, gen));
    }

    static Linear init(Linear l, double std, Generator gen) {
        Init.normal(l.weight(), 0, std, gen);
        Init.zero(l.bias());
        return l;
    }

    /** x [N, L, D], mask additive and broadcastable to [N, H, L, L] (or null) -> [N, L, D]. */
    public Tensor forward(Tensor x, Tensor mask) {
        int n = x.shape(0), l = x.shape(1), d = x.shape(2);
        Tensor o = F.scaledDotProductAttention(heads(q.forward(x), n, l, d), heads(k.forward(x), n, l, d), heads(v.forward(x), n, l, d),
                mask, Double.NaN);
        return out.forward(o.transpose(1, 2).reshape(n, l, d));
    }

    @Override public Tensor forward(Tensor x) { return forward(x, null); }

    /** [N, L, D] -> [N, H, L, D/H]. */
    private Tensor heads(Tensor t, int n, int l, int d) { return t.reshape(n, l, heads, d / heads).transpose(1, 2); }
}
