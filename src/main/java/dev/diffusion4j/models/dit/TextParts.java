package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.CrossAttention;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Parameter;

/**
 * The text-conditioned DiT's extra layers, initialised in the reference's manner: Glorot-uniform projections, and zero
 * where the layer's output enters the residual stream or the conditioning vector (PixArt-alpha zeroes its
 * cross-attention's output projection too), so a fresh text DiT computes what the same DiT without text does.
 */
public final class TextParts {
    private TextParts() {}

    /** Cross-attention from D-wide tokens to a contextDim-wide context, heads of D / heads; to_q/k/v Glorot, to_out.0 zero. */
    static CrossAttention crossAttention(int hiddenSize, int contextDim, int heads, Generator gen) {
        CrossAttention a = new CrossAttention(hiddenSize, contextDim, heads, hiddenSize / heads, gen);
        for (var e : a.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            if (e.getKey().startsWith("to_out")) Init.zero(p);
            else Init.xavierUniform(p, 1, gen);
        }
        return a;
    }

    /** Linear(contextDim, D), zero: maps the pooled context into the conditioning vector c. */
    public static Linear poolProjection(int contextDim, int hiddenSize) { return InitLinear.zero(contextDim, hiddenSize); }

    /**
     * The context's global summary for adaLN: the mean over all L positions, padding included. The DiT sees only the
     * hidden states (no attention mask), and a causal CLIP-like encoder's padding positions attend to the whole prompt,
     * so they too are functions of the prompt; the result depends on the prompt and the fixed token length only.
     */
    public static Tensor pool(Tensor context) { return context.mean(new int[] {1}, false); }
}
