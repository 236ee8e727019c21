package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;
import dev.diffusion4j.nn.Identity;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.Sequential;

/**
 * diffusers' transformer MLP under its names: net.0.proj (Linear into the hidden width, then GELU, tanh-approximated or
 * exact), net.1 (a dropout: here the identity) and net.2 (Linear back). The DiT reference's Mlp with fc1/fc2.
 */
final class FeedForward extends Module {
    private final Sequential net;
    private final GeluProjection in;
    private final Linear out;

    FeedForward(int dim, int hidden, boolean tanhGelu, Generator gen) {
        in = new GeluProjection(dim, hidden, tanhGelu, gen);
        out = InitLinear.glorot(hidden, dim, gen);
        net = registerModule("net", new Sequential(in, new Identity(), out));
    }

    @Override public Tensor forward(Tensor x) { return net.forward(x); }

    Linear proj() { return in.proj; }
    Linear out() { return out; }

    /** diffusers' GELU module: a Linear named proj followed by the activation. */
    static final class GeluProjection extends Module {
        private final Linear proj;
        private final boolean tanh;

        GeluProjection(int in, int out, boolean tanh, Generator gen) {
            this.tanh = tanh;
            proj = registerModule("proj", InitLinear.glorot(in, out, gen));
        }

        @Override public Tensor forward(Tensor x) {
            return tanh ? proj.forward(x, UnaryOp.GELU_TANH) : F.gelu(proj.forward(x));   // the tanh form may run in the product's epilogue
        }
    }
}
