package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;

/** The transformer MLP: fc1, tanh-approximated GELU, fc2. */
public final class Mlp extends Module {
    private final Linear fc1, fc2;

    public Mlp(int dim, int hidden, Generator gen) {
        fc1 = registerModule("fc1", InitLinear.glorot(dim, hidden, gen));
        fc2 = registerModule("fc2", InitLinear.glorot(hidden, dim, gen));
    }

    /**
     * fc2 over fc1's GELU. Where the backend can take GELU's gradient inside the product that forms fc2's input gradient
     * (CUDA, bf16), a step that records gradients runs the MLP as {@link dev.diffusion4j.engine.F#linearOfLinear}: fc1
     * may write the GELU beside its input, and fc2 keeps it; otherwise the GELU goes into fc1 (its product's epilogue
     * when no gradient is taken).
     */
    @Override public Tensor forward(Tensor x) {
        if (GradMode.isEnabled() && x.backend().fusesActivationGradient(UnaryOp.GELU_TANH))
            return fc1.forwardInto(UnaryOp.GELU_TANH, fc2, x);
        return fc2.forward(fc1.forward(x, UnaryOp.GELU_TANH));
    }
}
