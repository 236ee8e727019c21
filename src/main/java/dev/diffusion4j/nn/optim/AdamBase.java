package dev.diffusion4j.nn.optim;

import dev.diffusion4j.engine.AdamUpdate;
import dev.diffusion4j.engine.Autocast;
import dev.diffusion4j.engine.Backend;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with bias correction, shared by {@link Adam} (weight decay added to the gradient) and {@link AdamW}
 * (decoupled weight decay). Each parameter keeps exp_avg, exp_avg_sq (on its device, in its dtype) and its own
 * step count, stored under "state.{index}.{exp_avg|exp_avg_sq|step}" like PyTorch's state dict.
 */
public abstract sealed class AdamBase extends Optimizer permits Adam, AdamW {
    private static final String[] FIELDS = {"step", "exp_avg", "exp_avg_sq"};

    private final AdamConfig config;
    private final boolean decoupled;
    private final State[] state;

    /** Moments of one parameter. */
    private static final class State {
        long step;
        Tensor expAvg, expAvgSq;
    }

    AdamBase(List<ParamGroup> groups, AdamConfig config, boolean decoupled) {
        super(groups, config.lr());
        this.config = config;
        this.decoupled = decoupled;
        this.state = new State[parameters().size()];
    }

    static List<ParamGroup> single(List<Parameter> params, AdamConfig c) { return List.of(new ParamGroup(params, c.weightDecay())); }

    /** The hyperparameters (lr as constructed; the live one is {@link #lr()}). */
    public final AdamConfig config() { return config; }

    /** Steps taken by the parameter at this position (0 before its first update). */
    public final long stepCount(int index) { return state[index] == null ? 0 : state[index].step; }

    @Override public final void step() {
        // parameters that share a backend and scalars (normally all of them) go to the backend as one batch
        Map<BatchKey, Batch> batches = new LinkedHashMap<>();
        int i = 0;
        for (ParamGroup group : groups()) {
            for (Parameter p : group.params()) {
                int index = i++;
                Tensor g = p.grad();
                if (g == null || !p.requiresGrad()) continue;
                Tensor w = p.data();
                if (!Arrays.equals(g.shape(), w.shape()) || !g.device().equals(w.device()))
                    throw new IllegalStateException("gradient of parameter '" + p.name() + "' is " + Shape.str(g.shape()) + " on " + g.device()
                            + " but the parameter is " + Shape.str(w.shape()) + " on " + w.device());
                State s = stateFor(index, w);
                s.step++;
                double bc1 = 1 - Math.pow(config.beta1(), s.step);
                double bc2 = 1 - Math.pow(config.beta2(), s.step);
                double wd = group.weightDecay();
                AdamUpdate u = new AdamUpdate(lr(), config.beta1(), config.beta2(), config.eps(),
                        decoupled ? 1 - lr() * wd : 1, decoupled ? 0 : wd, bc1, Math.sqrt(bc2));
                Batch b = batches.computeIfAbsent(new BatchKey(w.backend(), u), k -> new Batch());
                b.params.add(w);
                b.grads.add(g.dtype() == w.dtype() ? g : castNoGrad(g, w.dtype()));
                b.expAvgs.add(s.expAvg);
                b.expAvgSqs.add(s.expAvgSq);
            }
        }
        batches.forEach((k, b) -> k.backend().adamUpdateAll(b.params, b.grads, b.expAvgs, b.expAvgSqs, k.update()));
        Autocast.forgetCasts();   // the weights changed in place
    }

    private record BatchKey(Backend backend, AdamUpdate update) {}

    /** Parameters updated in one backend call. */
    private static final class Batch {
        final List<Tensor> params = new ArrayList<>(), grads = new ArrayList<>(), expAvgs = new ArrayList<>(), expAvgSqs = new ArrayList<>();
    }

    /** The parameter's state, created as zeros on first use and moved along if the parameter changed device or dtype. */
    private State stateFor(int index, Tensor w) {
        State s = state[index];
        if (s == null) {
            s = state[index] = new State();
            s.expAvg = w.zerosLike();
            s.expAvgSq = w.zerosLike();
        } else if (!s.expAvg.device().equals(w.device()) || s.expAvg.dtype() != w.dtype()) {
            s.expAvg = castNoGrad(s.expAvg.to(w.device()), w.dtype()).contiguous();
            s.expAvgSq = castNoGrad(s.expAvgSq.to(w.device()), w.dtype()).contiguous();
        }
        return s;
    }

    private static Tensor castNoGrad(Tensor t, DType d) {
        try (var g = GradMode.off()) { return t.detach().to(d); }
    }

    @Override public final LinkedHashMap<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < state.length; i++) {
            State s = state[i];
            if (s == null) continue;
            out.put("state." + i + ".step", Tensor.ofLongs(new long[] {s.step}));
            out.put("state." + i + ".exp_avg", s.expAvg);
            out.put("state." + i + ".exp_avg_sq", s.expAvgSq);
        }
        return out;
    }

    @Override public final void loadStateDict(Map<String, Tensor> dict) {
        // parse and check every entry first, so a bad dict leaves the optimizer untouched
        Map<Integer, Tensor[]> found = new HashMap<>();
        List<Parameter> params = parameters();
        for (var e : dict.entrySet()) {
            String key = e.getKey();
            String[] parts = key.split("\\.");
            int field = parts.length == 3 && parts[0].equals("state") ? Arrays.asList(FIELDS).indexOf(parts[2]) : -1;
            int index = field < 0 ? -1 : parseIndex(parts[1]);
            if (index < 0) throw new IllegalArgumentException("optimizer state: unexpected key '" + key + "'");
            if (index >= params.size())
                throw new IllegalArgumentException("optimizer state: key '" + key + "' is for parameter " + index + " but this optimizer has "
                        + params.size() + " parameters (a different model or parameter order?)");
            Tensor t = e.getValue();
            int[] want = field == 0 ? new int[0] : params.get(index).shape();
            boolean ok = field == 0 ? t.numel() == 1 : Arrays.equals(t.shape(), want);
            if (!ok) throw new IllegalArgumentException("optimizer state: '" + key + "' has shape " + Shape.str(t.shape())
                    + " but parameter " + index + " ('" + params.get(index).name() + "') needs " + Shape.str(want));
            found.computeIfAbsent(index, k -> new Tensor[3])[field] = t;
        }
        for (var e : found.entrySet())
            for (int f = 0; f < 3; f++)
                if (e.getValue()[f] == null)
                    throw new IllegalArgumentException("optimizer state: missing key 'state." + e.getKey() + "." + FIELDS[f] + "'");
        Arrays.fill(state, null);
        for (var e : found.entrySet()) {
            Tensor w = params.get(e.getKey()).data();
            State s = new State();
            s.step = Math.round(e.getValue()[0].item());
            s.expAvg = copyLike(e.getValue()[1], w);
            s.expAvgSq = copyLike(e.getValue()[2], w);
            state[e.getKey()] = s;
        }
    }

    /** A private contiguous copy on w's device in w's dtype (the caller's tensor is never updated in place). */
    private static Tensor copyLike(Tensor src, Tensor w) {
        Tensor dst = w.zerosLike();
        try (var g = GradMode.off()) {
            dst.backend().copyInto(dst, src.detach().to(w.device()).to(w.dtype()));
        }
        return dst;
    }

    private static int parseIndex(String s) {
        try { return Integer.parseInt(s); } catch (NumberFormatException e) { return -1; }
    }
}
