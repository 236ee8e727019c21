package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;

/** Multi-head self-attention over tokens [B, L, D]: qkv Linear(D, 3D) with bias in [q | k | v][heads][D/heads] order, output proj. */
public final class Attention extends Module {
    private final int heads;
    private final Linear qkv, proj;

    public Attention(int hiddenSize, int heads, Generator gen) {
        if (hiddenSize % heads != 0) throw new IllegalArgumentException(hiddenSize + " channels cannot be split into " + heads + " heads");
        this.heads = heads;
        qkv = registerModule("qkv", InitLinear.glorot(hiddenSize, 3 * hiddenSize, gen));
        proj = registerModule("proj", InitLinear.glorot(hiddenSize, hiddenSize, gen));
    }

    @Override public Tensor forward(Tensor x) {
        int b = x.shape(0), l = x.shape(1), d = x.shape(2);
        Tensor parts = qkv.forward(x).reshape(b, l, 3, heads, d / heads).permute(2, 0, 3, 1, 4);   // [3, B, H, L, D/H]
        Tensor o = F.scaledDotProductAttentionPacked(parts, Double.NaN);
        return proj.forward(o.transpose(1, 2).reshape(b, l, d));
    }

    public Linear qkv() { return qkv; }
    public Linear proj() { return proj; }
}
