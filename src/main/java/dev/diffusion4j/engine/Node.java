package dev.diffusion4j.engine;

/**
 * One recorded op in the autograd graph: how to turn the output's gradient into its inputs', and where those gradients
 * go. An input that is itself an op's result is kept as that op's node, not as the tensor: holding the tensor would
 * keep its memory alive until the backward reaches this node, although only the tensors the backward closure captured
 * are needed (an add, say, needs neither operand). Leaves that require grad are kept (their grad accumulates there).
 */
public final class Node {
    /** Computes input gradients from the output gradient; entries may be null for inputs that need none. */
    @FunctionalInterface
    public interface Backward { Tensor[] apply(Tensor gradOut); }

    /**
     * A backward that may fold an input's gradient accumulated so far (from the ops that ran their backward before it)
     * into its own result for that input: one pass where the backward would write a gradient and an add would then read
     * it back (a residual stream's gradient beside a layer norm's, say).
     */
    @FunctionalInterface
    public interface AccumulatingBackward { Tensor[] apply(Tensor gradOut, Pending pending); }

    /** What an {@link AccumulatingBackward} may take over. */
    @FunctionalInterface
    public interface Pending {
        /**
         * The gradient accumulated so far for input k (of its dtype and shape), or null when there is none; once taken it
         * is no longer added to the result for input k, which must include it.
         */
        Tensor take(int k);
    }

    final String name;
    /** Per input: the node that made it (non-leaf), else null. */
    Node[] inputNodes;
    /** Per input: the leaf itself where it requires grad, else null. */
    Tensor[] leaves;
    /** Per input: its shape and dtype (each gradient is checked against them, and cast to the dtype). */
    int[][] shapes;
    DType[] dtypes;
    AccumulatingBackward backward;
    /** The output, only where {@link Tensor#retainGrad()} asked for its gradient. */
    Tensor retained;

    Node(String name, Tensor[] inputs, AccumulatingBackward backward) {
        this.name = name;
        this.backward = backward;
        int n = inputs.length;
        inputNodes = new Node[n];
        leaves = new Tensor[n];
        shapes = new int[n][];
        dtypes = new DType[n];
        for (int k = 0; k < n; k++) {
            Tensor in = inputs[k];
            if (in == null) continue;
            Node made = in.gradFn();
            if (made != null) inputNodes[k] = made;
            else if (in.requiresGrad()) leaves[k] = in;
            shapes[k] = in.shape;   // shapes are never written after construction: no copy per recorded op
            dtypes[k] = in.dtype();
        }
    }

    public String name() { return name; }

    int inputCount() { return inputNodes == null ? 0 : inputNodes.length; }

    boolean released() { return backward == null; }

    /** Drops saved tensors and edges so memory is freed once the graph has been used. */
    void release() { inputNodes = null; leaves = null; shapes = null; dtypes = null; backward = null; retained = null; }
}
