package dev.diffusion4j.nn;

import dev.diffusion4j.engine.DType;
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
    @Override public Tensor forward(Tensor ids) {
        if (ids.dtype() != DType.I64) throw new IllegalArgumentException("Embedding expects i64 ids, got " + ids.dtype().id());
        int[] outShape = java.util.Arrays.copyOf(ids.shape(), ids.rank() + 1);
        outShape[ids.rank()] = dim;
        return weight.data().indexSelect(0, ids.reshape(-1)).reshape(outShape);
    }

    public Parameter weight() { return weight; }
    public int numEmbeddings() { return num; }
    public int embeddingDim() { return dim; }

    @Override protected String extraRepr() { return num + ", " + dim; }
}
