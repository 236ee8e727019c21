package dev.diffusion4j.models.text;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.LayerNorm;
import dev.diffusion4j.nn.Module;

/** A pre-norm transformer block: x + attn(ln1(x)), then h + mlp(ln2(h)) (transformers' CLIPEncoderLayer). */
public final class ClipEncoderLayer extends Module {
    private final ClipAttention attn;
    private final LayerNorm ln1, ln2;
    private final ClipMlp mlp;

    public ClipEncoderLayer(ClipTextConfig c, Generator gen) {
        int[] d = {c.hiddenSize()};
        attn = registerModule("self_attn", new ClipAttention(c, gen));
        ln1 = registerModule("layer_norm1", new LayerNorm(d, c.layerNormEps(), true));
        mlp = registerModule("mlp", new ClipMlp(c, gen));
        ln2 = registerModule("layer_norm2", new LayerNorm(d, c.layerNormEps(), true));
    }

    public Tensor forward(Tensor x, Tensor mask) {
        Tensor h = x.add(attn.forward(ln1.forward(x), mask));
        return h.add(mlp.forward(ln2.forward(h)));
    }

    @Override public Tensor forward(Tensor x) { return forward(x, null); }
}
