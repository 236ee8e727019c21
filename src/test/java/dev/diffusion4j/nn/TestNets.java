package dev.diffusion4j.nn;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/** Small module trees shared by the nn tests. */
final class TestNets {
    private TestNets() {}

    static final class Block extends Module {
        final Linear conv1, conv2;

        Block(Generator gen) {
            registerBuffer("scale", Tensor.of(new float[] {1, 2, 3, 4}, 4), true);
            registerBuffer("cache", Tensor.zeros(3), false);
            conv1 = registerModule("conv1", new Linear(4, 8, gen));
            registerModule("act", new SiLU());
            conv2 = registerModule("conv2", new Linear(8, 4, false, gen));
        }

        @Override public Tensor forward(Tensor x) {
            return x.add(conv2.forward(dev.diffusion4j.engine.F.silu(conv1.forward(x))));
        }
    }

    static final class Net extends Module {
        final Parameter gain;
        final ModuleList<Block> down;
        final Sequential head;

        Net(long seed) {
            Generator gen = new Generator(seed);
            gain = registerParameter("gain", Tensor.ones(4));
            down = registerModule("down", new ModuleList<>(new Block(gen), new Block(gen)));
            head = registerModule("head", new Sequential(new Linear(4, 2, gen), new Dropout(0.1, gen)));
        }

        @Override public Tensor forward(Tensor x) {
            x = x.mul(gain.data());
            for (Block b : down) x = b.forward(x);
            return head.forward(x);
        }
    }
}
