package dev.diffusion4j.nn;

import dev.diffusion4j.engine.Tensor;

/** Passes its input through; a placeholder where a layer is optional (e.g. a skip connection without projection). */
public final class Identity extends Module {
    @Override public Tensor forward(Tensor x) { return x; }
}
