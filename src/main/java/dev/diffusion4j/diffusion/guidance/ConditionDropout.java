package dev.diffusion4j.diffusion.guidance;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * The training side of classifier-free guidance: each sample's conditioning is replaced by the null condition with
 * probability p (Ho and Salimans use 0.1 or 0.2), so one network learns both the conditional and the unconditional model.
 * <pre>{@code
 * ConditionDropout drop = new ConditionDropout(NullCondition.label("y", numClasses), 0.1);
 * Tensor loss = diffusion.trainingLoss(model, x0, drop.apply(Conditioning.of("y", labels), gen), timesteps, gen, cfg);
 * }</pre>
 */
public final class ConditionDropout {
    private final NullCondition nullCondition;
    private final double p;

    public ConditionDropout(NullCondition nullCondition, double p) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("condition dropout probability must be in [0, 1], got " + p);
        this.nullCondition = nullCondition;
        this.p = p;
    }

    public double probability() { return p; }

    /** The batch's conditioning with a random subset of samples (each with probability p) set to the null condition. */
    public Conditioning apply(Conditioning cond, Generator gen) {
        Conditioning none = nullCondition.of(cond);
        if (none == null) throw new IllegalArgumentException("per-sample dropout needs a null conditioning tensor, not NullCondition.none()");
        int n = batchSize(cond);
        boolean[] drop = draw(n, p, gen);
        return Conditionings.select(cond, none, drop);
    }

    /** Labels [N] (any shape, i64) with each entry replaced by {@code nullLabel} with probability p. */
    public static Tensor dropLabels(Tensor labels, double p, long nullLabel, Generator gen) {
        return new ConditionDropout(NullCondition.label("y", nullLabel), p).apply(Conditioning.of("y", labels), gen).get("y");
    }

    /** One uniform per sample, drawn in a single call so a seed reproduces the pattern. */
    static boolean[] draw(int n, double p, Generator gen) {
        double[] u = Tensor.rand(gen, DType.F64, Device.CPU, n).toDoubleArray();
        boolean[] drop = new boolean[n];
        for (int i = 0; i < n; i++) drop[i] = u[i] < p;
        return drop;
    }

    private static int batchSize(Conditioning cond) {
        if (cond == null || cond.names().isEmpty()) throw new IllegalArgumentException("condition dropout needs a conditioning");
        Tensor first = cond.get(cond.names().iterator().next());
        if (first.rank() == 0) throw new IllegalArgumentException("conditioning entries need a batch dim to drop per sample");
        return first.shape(0);
    }
}
