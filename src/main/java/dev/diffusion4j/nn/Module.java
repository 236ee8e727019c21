package dev.diffusion4j.nn;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Base class of layers and models, like torch.nn.Module: owns parameters, buffers and child modules under names
 * that compose into PyTorch-style dotted keys ("down.0.conv1.weight"), so state dicts line up with PyTorch
 * checkpoints. Subclasses register everything in their constructor, in the order PyTorch would.
 */
public abstract class Module {
    private final LinkedHashMap<String, Parameter> params = new LinkedHashMap<>();
    private final LinkedHashMap<String, Buffer> buffers = new LinkedHashMap<>();
    private final LinkedHashMap<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** What the module computes for one input; modules with other inputs define their own forward methods. */
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException(typeName() + " does not take a single tensor input");
    }

    // ------------------------------------------------------------------ registration

    protected final Parameter registerParameter(String name, Tensor value) {
        return registerParameter(name, new Parameter(name, value));
    }

    /** Registers an existing parameter (also one owned elsewhere: weight tying shares the slot). */
    protected final Parameter registerParameter(String name, Parameter p) {
        checkName(name);
        params.put(name, p);
        return p;
    }

    protected final Buffer registerBuffer(String name, Tensor value, boolean persistent) {
        checkName(name);
        Buffer b = new Buffer(name, value, persistent);
        buffers.put(name, b);
        return b;
    }

    protected final <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        if (module == this) throw new IllegalArgumentException("a module cannot contain itself");
        children.put(name, module);
        module.train(training);
        return module;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains("."))
            throw new IllegalArgumentException("invalid name '" + name + "' in " + typeName() + ": names must be non-empty and contain no '.'");
        if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name))
            throw new IllegalArgumentException(typeName() + " already has a member named '" + name + "'");
    }

    // ------------------------------------------------------------------ traversal

    /** Parameters under dotted names: a module's own first, then each child's, in registration order; shared ones once. */
    public final LinkedHashMap<String, Parameter> namedParameters() {
        LinkedHashMap<String, Parameter> out = new LinkedHashMap<>();
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (var m : namedModules().entrySet())
            for (var e : m.getValue().params.entrySet())
                if (seen.add(e.getValue())) out.put(join(m.getKey(), e.getKey()), e.getValue());
        return out;
    }

    public final List<Parameter> parameters() { return new ArrayList<>(namedParameters().values()); }

    public final LinkedHashMap<String, Buffer> namedBuffers() {
        LinkedHashMap<String, Buffer> out = new LinkedHashMap<>();
        Set<Buffer> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (var m : namedModules().entrySet())
            for (var e : m.getValue().buffers.entrySet())
                if (seen.add(e.getValue())) out.put(join(m.getKey(), e.getKey()), e.getValue());
        return out;
    }

    /** Direct children in registration order. */
    public final LinkedHashMap<String, Module> namedChildren() { return new LinkedHashMap<>(children); }

    /** This module (under "") and all descendants, depth first, each once. */
    public final LinkedHashMap<String, Module> namedModules() {
        LinkedHashMap<String, Module> out = new LinkedHashMap<>();
        collect("", this, out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private static void collect(String prefix, Module m, Map<String, Module> out, Set<Module> seen) {
        if (!seen.add(m)) return;
        out.put(prefix, m);
        for (var e : m.children.entrySet()) collect(join(prefix, e.getKey()), e.getValue(), out, seen);
    }

    private static String join(String prefix, String name) { return prefix.isEmpty() ? name : prefix + "." + name; }

    // ------------------------------------------------------------------ modes, devices, gradients

    public final boolean isTraining() { return training; }

    /** Sets training mode here and in every descendant (dropout draws masks only in training). */
    public Module train(boolean on) {
        training = on;
        for (Module c : children.values()) c.train(on);
        return this;
    }

    public final Module train() { return train(true); }
    public final Module eval() { return train(false); }

    /** Moves all parameters and buffers; optimizer state made before the move does not follow, so build optimizers after. */
    public final Module to(Device device) {
        for (Parameter p : parameters()) p.convert(device, null);
        for (Buffer b : namedBuffers().values()) b.convert(device, null);
        return this;
    }

    /** Converts floating parameters and buffers (e.g. to F64 for gradient checks). */
    public final Module to(DType dtype) {
        if (!dtype.isFloating()) throw new IllegalArgumentException("modules hold floating parameters, not " + dtype.id());
        for (Parameter p : parameters()) p.convert(p.device(), dtype);
        for (Buffer b : namedBuffers().values()) b.convert(b.get().device(), dtype);
        return this;
    }

    /** Freezes (false) or unfreezes every parameter. */
    public final Module requiresGrad(boolean on) {
        for (Parameter p : parameters()) p.requiresGrad(on);
        return this;
    }

    public final void zeroGrad() { for (Parameter p : parameters()) p.zeroGrad(); }

    /** Number of scalar parameters (shared ones counted once). */
    public final long numParameters() {
        long n = 0;
        for (Parameter p : parameters()) n += p.numel();
        return n;
    }

    public final long numTrainableParameters() {
        long n = 0;
        for (Parameter p : parameters()) if (p.requiresGrad()) n += p.numel();
        return n;
    }

    // ------------------------------------------------------------------ state dicts

    /** Parameters and persistent buffers by dotted name, in PyTorch's order; values share storage with the module. */
    public final LinkedHashMap<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (var e : slots().entrySet()) out.put(e.getKey(), slotTensor(e.getValue()));
        return out;
    }

    /** What a non-strict load skipped: model keys the dict lacks, and dict keys the model lacks. */
    public record LoadResult(List<String> missing, List<String> unexpected) {
        public LoadResult { missing = List.copyOf(missing); unexpected = List.copyOf(unexpected); }
        public boolean complete() { return missing.isEmpty() && unexpected.isEmpty(); }
    }

    /**
     * Copies values into the module (converting dtype and device). Shapes must match; with {@code strict} every key
     * must be present on both sides. Checks everything before copying anything, so a failed load leaves the module as it was.
     */
    public final LoadResult loadStateDict(Map<String, Tensor> state, boolean strict) {
        LinkedHashMap<String, Object> slots = slots();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>();
        for (String k : slots.keySet()) if (!state.containsKey(k)) missing.add(k);
        for (String k : state.keySet()) if (!slots.containsKey(k)) unexpected.add(k);
        for (var e : slots.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) continue;
            int[] want = slotTensor(e.getValue()).shape();
            if (!Arrays.equals(want, src.shape()))
                throw new IllegalArgumentException("state dict does not fit " + typeName() + ": '" + e.getKey() + "' has shape "
                        + Shape.str(src.shape()) + " in the state dict but " + Shape.str(want) + " in the model");
        }
        if (strict && !(missing.isEmpty() && unexpected.isEmpty())) {
            List<String> parts = new ArrayList<>();
            if (!missing.isEmpty()) parts.add("missing key '" + missing.get(0) + "' (" + missing.size() + " missing in all)");
            if (!unexpected.isEmpty()) parts.add("unexpected key '" + unexpected.get(0) + "' (" + unexpected.size() + " unexpected in all)");
            throw new IllegalArgumentException("state dict does not fit " + typeName() + ": " + String.join(", ", parts)
                    + "; load with strict=false to skip them");
        }
        for (var e : slots.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) continue;
            if (e.getValue() instanceof Parameter p) p.copyFrom(src);
            else ((Buffer) e.getValue()).copyFrom(src);
        }
        return new LoadResult(missing, unexpected);
    }

    /** Parameters and persistent buffers under every name they are reachable by (tied weights appear twice, as in PyTorch). */
    private LinkedHashMap<String, Object> slots() {
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        addSlots("", out);
        return out;
    }

    private void addSlots(String prefix, Map<String, Object> out) {
        for (var e : params.entrySet()) out.put(join(prefix, e.getKey()), e.getValue());
        for (var e : buffers.entrySet()) if (e.getValue().persistent()) out.put(join(prefix, e.getKey()), e.getValue());
        for (var e : children.entrySet()) e.getValue().addSlots(join(prefix, e.getKey()), out);
    }

    private static Tensor slotTensor(Object slot) {
        return slot instanceof Parameter p ? p.data().detach() : ((Buffer) slot).get();
    }

    // ------------------------------------------------------------------ printing

    /** The name shown in {@link #toString()}; the class name unless overridden. */
    public String typeName() {
        String n = getClass().getSimpleName();
        return n.isEmpty() ? "Module" : n;
    }

    /** Settings shown inside the parentheses, e.g. "in_features=2, out_features=16, bias=True". */
    protected String extraRepr() { return ""; }

    /** A layer tree in the layout of PyTorch's module repr. */
    @Override public String toString() {
        String extra = extraRepr();
        if (children.isEmpty()) return typeName() + "(" + extra + ")";
        StringBuilder sb = new StringBuilder(typeName()).append("(\n");
        if (!extra.isEmpty()) sb.append(indent(extra)).append('\n');
        for (var e : children.entrySet())
            sb.append(indent("(" + e.getKey() + "): " + e.getValue())).append('\n');
        return sb.append(')').toString();
    }

    private static String indent(String s) { return "  " + s.replace("\n", "\n  "); }
}
