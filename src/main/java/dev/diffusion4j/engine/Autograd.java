package dev.diffusion4j.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** Records ops on a tape (each non-leaf tensor points at the node that made it) and runs reverse-mode backward. */
public final class Autograd {
    private Autograd() {}

    /** Attaches a backward node to {@code out} when grad mode is on and some input requires grad; returns out. */
    public static Tensor record(Tensor out, String name, Node.Backward backward, Tensor... inputs) {
        if (!GradMode.isEnabled()) return out;
        boolean any = false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) { any = true; break; }
        if (any) out.gradFn = new Node(name, inputs, backward);
        return out;
    }

    /** Accumulates d(root)/d(leaf) into every leaf's {@code grad}, starting from {@code seed} (same shape as root). */
    static void backward(Tensor root, Tensor seed, boolean retainGraph) {
        if (!root.requiresGrad()) throw new IllegalStateException("backward() on a tensor that does not require grad");
        if (!java.util.Arrays.equals(root.shape(), seed.shape()))
            throw new IllegalArgumentException("gradient shape " + Shape.str(seed.shape()) + " differs from tensor shape " + Shape.str(root.shape()));
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        grads.put(root, seed);
        try (var g = GradMode.off()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor gt = grads.remove(t);
                Node node = t.gradFn;
                if (gt == null || node == null || node.backward == null) continue;
                if (t.retainGrad) t.grad = t.grad == null ? gt : t.grad.add(gt);
                Tensor[] gin = node.backward.apply(gt);
                for (int k = 0; k < node.inputs.length; k++) {
                    Tensor in = node.inputs[k];
                    if (in == null || k >= gin.length || gin[k] == null || !in.requiresGrad()) continue;
                    Tensor gk = inDtypeOf(in, gin[k]);
                    if (!java.util.Arrays.equals(gk.shape(), in.shape()))
                        throw new IllegalStateException("backward of " + node.name + " produced gradient " + Shape.str(gk.shape())
                                + " for input " + Shape.str(in.shape()));
                    if (in.gradFn == null) {
                        in.grad = in.grad == null ? gk.contiguous() : in.grad.add(gk);
                    } else {
                        Tensor prev = grads.get(in);
                        grads.put(in, prev == null ? gk : prev.add(gk));
                    }
                }
                if (!retainGraph) { node.release(); t.gradFn = null; }
            }
        }
    }

    /**
     * d(root)/d(input) for a scalar root and a leaf input that requires grad, returned rather than accumulated: no
     * tensor's {@code grad} changes (a classifier's parameters stay untouched when guidance differentiates it by its
     * input), and only ops on a path from input to root run their backward. The graph is released afterwards.
     * Returns zeros when root does not depend on input.
     */
    public static Tensor grad(Tensor root, Tensor input) { return grad(root, input, false); }

    /**
     * As {@link #grad(Tensor, Tensor)}; with {@code retainGraph} the graph stays, so a later backward (or another grad)
     * can still run through it: the autoencoder trainer's adaptive GAN weight takes two such gradients at the decoder's
     * last layer before the full backward of the loss.
     */
    public static Tensor grad(Tensor root, Tensor input, boolean retainGraph) {
        if (root.numel() != 1) throw new IllegalArgumentException("grad() needs a scalar root, got shape " + Shape.str(root.shape()));
        if (!input.isLeaf() || !input.requiresGrad()) throw new IllegalArgumentException("grad() input must be a leaf that requires grad");
        Tensor acc = null;
        if (root == input) return Backends.get(input.device()).full(input.shape(), input.dtype(), 1.0);
        if (root.gradFn == null) return Backends.get(input.device()).full(input.shape(), input.dtype(), 0.0);
        List<Tensor> order = topologicalOrder(root);
        // a node matters when one of its inputs is the input or a node that matters (order lists inputs first)
        Map<Tensor, Boolean> onPath = new IdentityHashMap<>();
        for (Tensor t : order)
            for (Tensor in : t.gradFn.inputs)
                if (in != null && (in == input || onPath.containsKey(in))) { onPath.put(t, Boolean.TRUE); break; }
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        grads.put(root, Backends.get(root.device()).full(root.shape(), root.dtype(), 1.0));
        try (var g = GradMode.off()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor gt = grads.remove(t);
                Node node = t.gradFn;
                if (gt != null && onPath.containsKey(t) && node.backward != null) {
                    Tensor[] gin = node.backward.apply(gt);
                    for (int k = 0; k < node.inputs.length && k < gin.length; k++) {
                        Tensor in = node.inputs[k];
                        if (in == null || gin[k] == null) continue;
                        Tensor gk = inDtypeOf(in, gin[k]);
                        if (in == input) acc = acc == null ? gk : acc.add(gk);
                        else if (onPath.containsKey(in)) grads.merge(in, gk, Tensor::add);
                    }
                }
                if (!retainGraph) { node.release(); t.gradFn = null; }
            }
        }
        return acc == null ? Backends.get(input.device()).full(input.shape(), input.dtype(), 0.0) : acc.contiguous();
    }

    /**
     * A gradient always has its tensor's dtype: an op with mixed-precision operands (a bf16 group norm with f32
     * weights under autocast, say) may compute a parameter's gradient in the narrower type.
     */
    private static Tensor inDtypeOf(Tensor in, Tensor g) {
        return g.dtype() == in.dtype() || !g.dtype().isFloating() ? g : g.backend().cast(g, in.dtype());
    }

    /** Non-leaf tensors reachable from root, each after all of its inputs (iterative DFS: graphs can be deep). */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        seen.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Tensor t = (Tensor) top[0];
            int next = (Integer) top[1];
            Node n = t.gradFn;
            Tensor[] ins = n == null || n.inputs == null ? new Tensor[0] : n.inputs;
            if (next < ins.length) {
                top[1] = next + 1;
                Tensor in = ins[next];
                if (in != null && in.gradFn != null && seen.put(in, Boolean.TRUE) == null) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
