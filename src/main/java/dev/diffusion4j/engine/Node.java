package dev.diffusion4j.engine;

/** One recorded op in the autograd graph: its inputs and how to turn the output's gradient into theirs. */
public final class Node {
    /** Computes input gradients from the output gradient; entries may be null for inputs that need none. */
    @FunctionalInterface
    public interface Backward { Tensor[] apply(Tensor gradOut); }

    final String name;
    Tensor[] inputs;
    Backward backward;

    Node(String name, Tensor[] inputs, Backward backward) {
        this.name = name; this.inputs = inputs; this.backward = backward;
    }

    public String name() { return name; }

    /** Drops saved tensors so memory is freed once the graph has been used. */
    void release() { inputs = null; backward = null; }
}
