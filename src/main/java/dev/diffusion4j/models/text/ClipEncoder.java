package dev.diffusion4j.models.text;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;

/** The stack of encoder layers, all under the same mask (transformers' CLIPEncoder: "layers.N"). */
public final class ClipEncoder extends Module {
    private final ModuleList<ClipEncoderLayer> layers = new ModuleList<>();

    public ClipEncoder(ClipTextConfig c, Generator gen) {
        registerModule("layers", layers);
        for (int i = 0; i < c.numHiddenLayers(); i++) layers.add(new ClipEncoderLayer(c, gen));
    }

    public Tensor forward(Tensor x, Tensor mask) {
        for (ClipEncoderLayer layer : layers) x = layer.forward(x, mask);
        return x;
    }

    @Override public Tensor forward(Tensor x) { return forward(x, null); }
}
