package dev.diffusion4j.nn;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/** A table of {@code num} learned vectors of size {@code dim}, looked up by i64 ids of any shape; weight N(0, 1) as in PyTorch. */
public final class Embedding extends Module {
    private final int num, dim;
    private final Parameter weight;

    public Embedding(int num, int dim, Generator gen) {
        if (num <= 0 || dim <= 0) throw new IllegalArgumentException("Embedding needs positive sizes, got " + num + " x " + dim);
        this.num = num;
        this.dim = dim;
        this.weight = registerParameter("weight", Init.normal(gen, 0, 1, num, dim));
    }

    /** ids [...] (i64) -> [..., dim]; gradients of repeated ids add up. */
    @Override public Tensor forward(Tensor ids) { return F.embedding(weight.data(), ids); }

    public Parameter weight() { return weight; }
    public int numEmbeddings() { return num; }
    public int embeddingDim() { return dim; }

    @Override protected String extraRepr() { return num + ", " + dim; }
}
