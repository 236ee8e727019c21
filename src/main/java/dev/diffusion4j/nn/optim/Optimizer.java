package dev.diffusion4j.nn.optim;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Updates parameters from their gradients. Parameters come in groups that may differ in weight decay (e.g. none
 * for biases and norms); the learning rate is shared and set each step by the trainer from an {@link LrSchedule}.
 * Per-parameter state is keyed by the parameter's position in {@link #parameters()}, as in PyTorch.
 */
public abstract class Optimizer {
    /** Parameters sharing one weight decay. */
    public record ParamGroup(List<Parameter> params, double weightDecay) {
        public ParamGroup { params = List.copyOf(params); }
    }

    private final List<ParamGroup> groups;
    private final List<Parameter> flat;
    private double lr;

    protected Optimizer(List<ParamGroup> groups, double lr) {
        if (groups.isEmpty()) throw new IllegalArgumentException("optimizer got no parameter groups");
        this.groups = List.copyOf(groups);
        List<Parameter> all = new ArrayList<>();
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (ParamGroup g : groups)
            for (Parameter p : g.params()) {
                if (!seen.add(p)) throw new IllegalArgumentException("parameter '" + p.name() + "' appears twice in the optimizer");
                all.add(p);
            }
        if (all.isEmpty()) throw new IllegalArgumentException("optimizer got an empty parameter list");
        this.flat = List.copyOf(all);
        setLr(lr);
    }

    public final double lr() { return lr; }

    public final void setLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        this.lr = lr;
    }

    public final List<ParamGroup> groups() { return groups; }

    /** All parameters, group after group; state keys use these positions. */
    public final List<Parameter> parameters() { return flat; }

    /** Applies one update to every trainable parameter that has a gradient. */
    public abstract void step();

    public final void zeroGrad() { for (Parameter p : flat) p.zeroGrad(); }

    /** The optimizer's state as tensors (live views: save them before the next step). */
    public abstract LinkedHashMap<String, Tensor> stateDict();

    /** Restores state saved by {@link #stateDict()}; checks everything before changing anything. */
    public abstract void loadStateDict(Map<String, Tensor> state);
}
