package dev.diffusion4j.models.text;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;

/** fc1, the configured activation, fc2 (transformers' CLIPMLP). */
public final class ClipMlp extends Module {
    private final String act;
    private final Linear fc1, fc2;

    public ClipMlp(ClipTextConfig c, Generator gen) {
        act = c.hiddenAct();
        int d = c.hiddenSize();
        double fcStd = Math.pow(2.0 * d, -0.5) * c.initializerFactor();
        double inStd = Math.pow(d, -0.5) * Math.pow(2.0 * c.numHiddenLayers(), -0.5) * c.initializerFactor();
        fc1 = registerModule("fc1", ClipAttention.init(new Linear(d, c.intermediateSize(), gen), fcStd, gen));
        fc2 = registerModule("fc2", ClipAttention.init(new Linear(c.intermediateSize(), d, gen), inStd, gen));
    }

    @Override public Tensor forward(Tensor x) { return fc2.forward(Activations.apply(act, fc1.forward(x))); }
}
