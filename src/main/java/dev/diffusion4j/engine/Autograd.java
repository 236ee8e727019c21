package dev.diffusion4j.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records ops on a tape (each non-leaf tensor points at the node that made it; nodes point at their inputs' nodes, not at
 * the input tensors) and runs reverse-mode backward over the nodes.
 */
public final class Autograd {
    private Autograd() {}

    /** Attaches a backward node to {@code out} when grad mode is on and some input requires grad; returns out. */
    public static Tensor record(Tensor out, String name, Node.Backward backward, Tensor... inputs) {
        return recordAccumulating(out, name, (g, pending) -> backward.apply(g), inputs);
    }

    /** {@link #record} with a backward that may take over inputs' pending gradients ({@link Node.AccumulatingBackward}). */
    public static Tensor recordAccumulating(Tensor out, String name, Node.AccumulatingBackward backward, Tensor... inputs) {
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
        Node rootNode = root.gradFn();
        if (rootNode == null) {   // a leaf that requires grad: the seed, in the leaf's dtype, is its gradient
            if (!seed.device().equals(root.device()))
                throw new IllegalArgumentException("gradient on " + seed.device() + " for a tensor on " + root.device());
            Tensor g = inDtypeOf(root.dtype(), seed);
            root.grad = root.grad == null ? g.contiguous() : root.grad.add(g);
            return;
        }
        List<Node> order = topologicalOrder(rootNode);
        Map<Node, Tensor> grads = new IdentityHashMap<>();
        grads.put(rootNode, seed);
        // leaves' gradients that arrive in another float type (a parameter's bf16 copy under autocast): cast to the
        // leaf's type all at once at the end (Backend.castAll), then accumulated in the order they arrived
        List<Tensor> castLeaves = new ArrayList<>(), castGrads = new ArrayList<>();
        try (var g = GradMode.off()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Node node = order.get(i);
                Tensor gt = grads.remove(node);
                if (gt == null || node.released()) continue;
                if (node.retained != null) node.retained.grad = node.retained.grad == null ? gt : node.retained.grad.add(gt);
                Tensor[] gin = node.backward.apply(gt, k -> node.inputNodes[k] == null ? null : grads.remove(node.inputNodes[k]));
                for (int k = 0; k < node.inputCount() && k < gin.length; k++) {
                    Node made = node.inputNodes[k];
                    Tensor leaf = node.leaves[k];
                    // a leaf frozen (requiresGrad(false)) after the forward gets no gradient, as in PyTorch
                    if (gin[k] == null || made == null && (leaf == null || !leaf.requiresGrad())) continue;
                    if (leaf != null && gin[k].dtype() != leaf.dtype() && gin[k].dtype().isFloating() && leaf.dtype().isFloating()) {
                        castLeaves.add(leaf);
                        castGrads.add(shapeChecked(node, k, gin[k]));
                        continue;
                    }
                    Tensor gk = checked(node, k, gin[k]);
                    if (leaf != null) {
                        leaf.grad = leaf.grad == null ? gk.contiguous() : leaf.grad.add(gk);
                    } else {
                        Tensor prev = grads.get(made);
                        grads.put(made, prev == null ? gk : prev.add(gk));
                    }
                }
                if (!retainGraph) node.release();
            }
            accumulateCast(castLeaves, castGrads);
        }
        if (!retainGraph) root.gradFn = null;
    }

    /** leaves[i].grad += grads[i] in the leaf's type, the casts made together per backend and type. */
    private static void accumulateCast(List<Tensor> leaves, List<Tensor> grads) {
        if (leaves.isEmpty()) return;
        Map<Backend, Map<DType, List<Integer>>> groups = new IdentityHashMap<>();
        for (int i = 0; i < leaves.size(); i++)
            groups.computeIfAbsent(grads.get(i).backend(), b -> new java.util.EnumMap<>(DType.class))
                    .computeIfAbsent(leaves.get(i).dtype(), d -> new ArrayList<>()).add(i);
        Tensor[] cast = new Tensor[leaves.size()];
        for (var byBackend : groups.entrySet())
            for (var byType : byBackend.getValue().entrySet()) {
                List<Integer> idx = byType.getValue();
                List<Tensor> in = new ArrayList<>(idx.size());
                for (int i : idx) in.add(grads.get(i));
                List<Tensor> out = byBackend.getKey().castAll(in, byType.getKey());
                for (int j = 0; j < idx.size(); j++) cast[idx.get(j)] = out.get(j);
            }
        for (int i = 0; i < leaves.size(); i++) {
            Tensor leaf = leaves.get(i);
            leaf.grad = leaf.grad == null ? cast[i].contiguous() : leaf.grad.add(cast[i]);
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
        Node rootNode = root.gradFn();
        if (rootNode == null) return Backends.get(input.device()).full(input.shape(), input.dtype(), 0.0);
        List<Node> order = topologicalOrder(rootNode);
        // a node matters when one of its inputs is the input or a node that matters (order lists inputs first)
        Map<Node, Boolean> onPath = new IdentityHashMap<>();
        for (Node n : order)
            for (int k = 0; k < n.inputCount(); k++)
                if (n.leaves[k] == input || n.inputNodes[k] != null && onPath.containsKey(n.inputNodes[k])) { onPath.put(n, Boolean.TRUE); break; }
        Map<Node, Tensor> grads = new IdentityHashMap<>();
        grads.put(rootNode, Backends.get(root.device()).full(root.shape(), root.dtype(), 1.0));
        try (var g = GradMode.off()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Node node = order.get(i);
                Tensor gt = grads.remove(node);
                if (gt != null && onPath.containsKey(node) && !node.released()) {
                    Tensor[] gin = node.backward.apply(gt, k -> node.inputNodes[k] != null && onPath.containsKey(node.inputNodes[k])
                            ? grads.remove(node.inputNodes[k]) : null);
                    for (int k = 0; k < node.inputCount() && k < gin.length; k++) {
                        if (gin[k] == null) continue;
                        if (node.leaves[k] == input) {
                            Tensor gk = checked(node, k, gin[k]);
                            acc = acc == null ? gk : acc.add(gk);
                        } else if (node.inputNodes[k] != null && onPath.containsKey(node.inputNodes[k])) {
                            grads.merge(node.inputNodes[k], checked(node, k, gin[k]), Tensor::add);
                        }
                    }
                }
                if (!retainGraph) node.release();
            }
        }
        if (!retainGraph) root.gradFn = null;
        return acc == null ? Backends.get(input.device()).full(input.shape(), input.dtype(), 0.0) : acc.contiguous();
    }

    /** Input k's gradient in its dtype, after checking that it has the input's shape. */
    private static Tensor checked(Node node, int k, Tensor g) {
        return inDtypeOf(node.dtypes[k], shapeChecked(node, k, g));
    }

    /** g, after checking that it has input k's shape. */
    private static Tensor shapeChecked(Node node, int k, Tensor g) {
        if (!java.util.Arrays.equals(g.shape(), node.shapes[k]))
            throw new IllegalStateException("backward of " + node.name + " produced gradient " + Shape.str(g.shape())
                    + " for input " + Shape.str(node.shapes[k]));
        return g;
    }

    /**
     * A gradient always has its tensor's dtype: an op with mixed-precision operands (a bf16 group norm with f32
     * weights under autocast, say) may compute a parameter's gradient in the narrower type.
     */
    private static Tensor inDtypeOf(DType dtype, Tensor g) {
        return g.dtype() == dtype || !g.dtype().isFloating() ? g : g.backend().cast(g, dtype);
    }

    /** Nodes reachable from root, each after the nodes of all its inputs (iterative DFS: graphs can be deep). */
    private static List<Node> topologicalOrder(Node root) {
        List<Node> order = new ArrayList<>();
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        seen.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Node n = (Node) top[0];
            int next = (Integer) top[1];
            if (next < n.inputCount()) {
                top[1] = next + 1;
                Node in = n.inputNodes[next];
                if (in != null && seen.put(in, Boolean.TRUE) == null) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                order.add(n);
            }
        }
        return order;
    }
}
