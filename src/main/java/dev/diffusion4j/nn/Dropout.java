package dev.diffusion4j.nn;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/** Inverted dropout with masks drawn from its own generator (reproducible runs); the identity in eval mode. */
public final class Dropout extends Module {
    private final double p;
    private final Generator gen;

    public Dropout(double p, Generator gen) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        this.p = p;
        this.gen = gen;
    }

    @Override public Tensor forward(Tensor x) { return F.dropout(x, p, isTraining(), gen); }

    public double p() { return p; }
    public Generator generator() { return gen; }

    @Override protected String extraRepr() { return "p=" + Repr.num(p) + ", inplace=False"; }
}
