package dev.diffusion4j.nn;

import dev.diffusion4j.engine.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Runs its children in order, each on the previous one's output; children are named "0", "1", ... */
public final class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... layers) { for (Module m : layers) add(m); }

    public Sequential add(Module m) {
        registerModule(Integer.toString(layers.size()), m);
        layers.add(m);
        return this;
    }

    public Module get(int i) { return layers.get(i); }
    public int size() { return layers.size(); }

    @Override public Tensor forward(Tensor x) {
        for (Module m : layers) x = m.forward(x);
        return x;
    }
}
