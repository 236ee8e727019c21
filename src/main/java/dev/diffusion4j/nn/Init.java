package dev.diffusion4j.nn;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;

/**
 * Weight initialisation drawn from an explicit {@link Generator}, so a model built twice with the same seed is
 * identical. Tensor factories return new f32 CPU tensors; the Parameter overloads re-initialise in place.
 */
public final class Init {
    private Init() {}

    /** U(-bound, bound). */
    public static Tensor uniform(Generator gen, double bound, int... shape) {
        try (var g = GradMode.off()) {
            return Tensor.rand(gen, shape).affine(2 * bound, -bound);
        }
    }

    /** N(mean, std^2). */
    public static Tensor normal(Generator gen, double mean, double std, int... shape) {
        try (var g = GradMode.off()) {
            return Tensor.randn(gen, shape).affine(std, mean);
        }
    }

    /** Inputs per output unit: shape[1] times the kernel size (PyTorch's fan_in for Linear and Conv weights). */
    public static int fanIn(int[] shape) {
        if (shape.length < 2) throw new IllegalArgumentException("fan-in needs a weight of rank >= 2");
        int f = shape[1];
        for (int i = 2; i < shape.length; i++) f *= shape[i];
        return f;
    }

    public static int fanOut(int[] shape) {
        if (shape.length < 2) throw new IllegalArgumentException("fan-out needs a weight of rank >= 2");
        int f = shape[0];
        for (int i = 2; i < shape.length; i++) f *= shape[i];
        return f;
    }

    /**
     * PyTorch's default for Linear/Conv: kaiming_uniform(a=sqrt(5)) on the weight, whose bound
     * gain*sqrt(3/fan_in) with gain sqrt(2/(1+5)) simplifies to 1/sqrt(fan_in); biases use the same bound.
     */
    public static double defaultBound(int fanIn) { return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0; }

    // ------------------------------------------------------------------ in place

    public static void uniform(Parameter p, double bound, Generator gen) { p.copyFrom(uniform(gen, bound, p.shape())); }

    public static void normal(Parameter p, double mean, double std, Generator gen) { p.copyFrom(normal(gen, mean, std, p.shape())); }

    /** Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)), as DiT uses for its Linear layers. */
    public static void xavierUniform(Parameter p, double gain, Generator gen) {
        int[] s = p.shape();
        uniform(p, gain * Math.sqrt(6.0 / (fanIn(s) + fanOut(s))), gen);
    }

    public static void constant(Parameter p, double value) { p.copyFrom(Tensor.full(value, DType.F32, p.device(), p.shape())); }

    public static void zero(Parameter p) { constant(p, 0); }

    /** Zeroes every parameter of a module: the usual start for output layers of residual blocks and diffusion models. */
    public static <M extends Module> M zero(M module) {
        for (Parameter p : module.parameters()) zero(p);
        return module;
    }
}
