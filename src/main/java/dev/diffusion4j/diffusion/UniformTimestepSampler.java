package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;

/** t uniform on [0, T), weights 1. */
public final class UniformTimestepSampler implements TimestepSampler {
    private final int steps;

    @Override public int steps() { return steps; }

    public UniformTimestepSampler(int steps) {
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        this.steps = steps;
    }

    @Override public Draw sample(int batch, Generator gen) {
        long[] t = Tensor.randint(gen, 0, steps, Device.CPU, batch).toLongArray();
        double[] w = new double[batch];
        Arrays.fill(w, 1);
        return new Draw(t, w);
    }
}
