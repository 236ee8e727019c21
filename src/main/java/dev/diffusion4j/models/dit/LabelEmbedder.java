package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Embedding;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Module;

/**
 * Class labels to D-wide vectors, with one extra row (index numClasses) for "no class": the unconditional branch of
 * classifier-free guidance. Labels are dropped to that row during training by the trainer (its label_dropout, drawn
 * from the checkpointed generator so a resumed run drops the same labels), which is the reference's class_dropout_prob.
 */
public final class LabelEmbedder extends Module {
    private final int numClasses;
    private final Embedding table;

    public LabelEmbedder(int numClasses, int hiddenSize, Generator gen) {
        if (numClasses < 1) throw new IllegalArgumentException("a label embedder needs at least one class, got " + numClasses);
        this.numClasses = numClasses;
        table = registerModule("embedding_table", new Embedding(numClasses + 1, hiddenSize, gen));
        Init.normal(table.weight(), 0, 0.02, gen);
    }

    /** labels [N] (i64, 0 .. numClasses, the last meaning "no class"), or null for all "no class". */
    public Tensor forward(Tensor labels, int n, Device device) {
        Tensor ids = labels != null ? labels : Tensor.full(numClasses, DType.I64, device, n);
        return table.forward(ids);
    }

    public int numClasses() { return numClasses; }
    public Embedding table() { return table; }
}
