package dev.diffusion4j.nn;

import dev.diffusion4j.engine.Backend;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exponential moving average of a model's parameters, the weights diffusion models are sampled with:
 * shadow = d * shadow + (1 - d) * param after each optimizer step. With warmup, d = min(decay, (1+n)/(10+n)) for the
 * n-th update (n from 0), so early averages are not dominated by the random initialisation.
 */
public final class Ema {
    private final double decay;
    private final boolean warmup;
    private final LinkedHashMap<String, Tensor> shadow = new LinkedHashMap<>();
    private LinkedHashMap<String, Tensor> stored;
    private long updates;

    public Ema(Module model, double decay) { this(model, decay, false); }

    public Ema(Module model, double decay, boolean warmup) {
        if (!(decay >= 0 && decay <= 1)) throw new IllegalArgumentException("EMA decay must be in [0, 1], got " + decay);
        this.decay = decay;
        this.warmup = warmup;
        for (var e : model.namedParameters().entrySet()) shadow.put(e.getKey(), copyOf(e.getValue().data()));
    }

    public double decay() { return decay; }
    public boolean warmup() { return warmup; }
    /** Updates applied so far. */
    public long updates() { return updates; }

    /** The decay the next {@link #update} will use. */
    public double currentDecay() { return warmup ? Math.min(decay, (1.0 + updates) / (10.0 + updates)) : decay; }

    /** Moves the shadow toward the model's current parameters; call after each optimizer step. */
    public void update(Module model) {
        double w = 1 - currentDecay();
        // one backend call per device for the whole model
        Map<Backend, List<Tensor>> dsts = new LinkedHashMap<>(), srcs = new LinkedHashMap<>();
        for (var e : matching(model).entrySet()) {
            Tensor s = followDevice(e.getKey(), e.getValue().data());
            dsts.computeIfAbsent(s.backend(), b -> new ArrayList<>()).add(s);
            srcs.computeIfAbsent(s.backend(), b -> new ArrayList<>()).add(e.getValue().data());
        }
        dsts.forEach((b, d) -> b.lerpIntoAll(d, srcs.get(b), w));
        updates++;
    }

    /** Overwrites the model's parameters with the averages. */
    public void copyTo(Module model) {
        for (var e : matching(model).entrySet()) e.getValue().copyFrom(shadow.get(e.getKey()));
    }

    /** Keeps a copy of the model's current parameters for {@link #restore}. */
    public void store(Module model) {
        stored = new LinkedHashMap<>();
        for (var e : matching(model).entrySet()) stored.put(e.getKey(), copyOf(e.getValue().data()));
    }

    /** Puts back the parameters saved by {@link #store}. */
    public void restore(Module model) {
        if (stored == null) throw new IllegalStateException("Ema.restore without a preceding store");
        for (var e : matching(model).entrySet()) e.getValue().copyFrom(stored.get(e.getKey()));
        stored = null;
    }

    /** A scope with the averages loaded into the model: {@code try (var s = ema.swapInto(model)) { sample(model); }}. */
    public Scope swapInto(Module model) {
        store(model);
        copyTo(model);
        return () -> restore(model);
    }

    /** Restores the training weights on close. */
    public interface Scope extends AutoCloseable { @Override void close(); }

    /** The averages by parameter name: live views, loadable into the model with {@code loadStateDict(ema.shadow(), true)}. */
    public LinkedHashMap<String, Tensor> shadow() { return new LinkedHashMap<>(shadow); }

    /** "shadow.{name}" for each average plus "updates" (an i64 scalar), enough to resume exactly. */
    public LinkedHashMap<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (var e : shadow.entrySet()) out.put("shadow." + e.getKey(), e.getValue());
        out.put("updates", Tensor.ofLongs(new long[] {updates}));
        return out;
    }

    /** Restores a {@link #stateDict()}: the same parameter names and shapes; checks all before changing anything. */
    public void loadStateDict(Map<String, Tensor> state) {
        Tensor n = state.get("updates");
        if (n == null || n.numel() != 1) throw new IllegalArgumentException("EMA state: missing key 'updates'");
        for (String k : state.keySet())
            if (!k.equals("updates") && !(k.startsWith("shadow.") && shadow.containsKey(k.substring(7))))
                throw new IllegalArgumentException("EMA state: unexpected key '" + k + "'");
        for (var e : shadow.entrySet()) {
            Tensor src = state.get("shadow." + e.getKey());
            if (src == null) throw new IllegalArgumentException("EMA state: missing key 'shadow." + e.getKey() + "'");
            if (!Arrays.equals(src.shape(), e.getValue().shape()))
                throw new IllegalArgumentException("EMA state: 'shadow." + e.getKey() + "' has shape " + Shape.str(src.shape())
                        + " but the model's parameter has " + Shape.str(e.getValue().shape()));
        }
        for (var e : shadow.entrySet()) {
            Tensor dst = e.getValue();
            try (var g = GradMode.off()) {
                dst.backend().copyInto(dst, state.get("shadow." + e.getKey()).detach().to(dst.device()).to(dst.dtype()));
            }
        }
        updates = Math.round(n.item());
    }

    /** The model's parameters, checked to be exactly the ones this EMA tracks. */
    private LinkedHashMap<String, Parameter> matching(Module model) {
        LinkedHashMap<String, Parameter> params = model.namedParameters();
        for (var e : params.entrySet()) {
            Tensor s = shadow.get(e.getKey());
            if (s == null) throw new IllegalArgumentException("EMA: the model has parameter '" + e.getKey() + "' that this EMA does not track");
            if (!Arrays.equals(s.shape(), e.getValue().shape()))
                throw new IllegalArgumentException("EMA: parameter '" + e.getKey() + "' has shape " + Shape.str(e.getValue().shape())
                        + " but its average has " + Shape.str(s.shape()));
        }
        for (String k : shadow.keySet())
            if (!params.containsKey(k)) throw new IllegalArgumentException("EMA: the model lacks parameter '" + k + "'");
        return params;
    }

    /** The shadow of a parameter, moved to the parameter's device when the model was moved after the EMA was made. */
    private Tensor followDevice(String name, Tensor param) {
        Tensor s = shadow.get(name);
        if (s.device().equals(param.device())) return s;
        Tensor moved;
        try (var g = GradMode.off()) { moved = s.detach().to(param.device()).contiguous(); }
        shadow.put(name, moved);
        return moved;
    }

    /** A detached copy with its own storage (detach/contiguous alone may share the source's). */
    private static Tensor copyOf(Tensor t) {
        Tensor c = t.zerosLike();
        c.backend().copyInto(c, t.detach());
        return c;
    }
}
