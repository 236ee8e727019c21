package dev.diffusion4j.engine;

import java.util.function.Function;

/**
 * Finite-difference gradient check in float64: compares autograd's gradient of sum(w * f(x)) (w random) with
 * central differences, element by element. Fails on |a-n|/(|a|+|n|) > tol unless |a-n| < atol.
 */
public final class GradCheck {
    private GradCheck() {}

    public static void check(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        check(name, f, 1e-6, 1e-5, 1e-7, inputs);
    }

    public static void check(String name, Function<Tensor[], Tensor> f, double eps, double rtol, double atol, Tensor... inputs) {
        Tensor[] xs = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].dtype() != DType.F64) throw new IllegalArgumentException(name + ": gradient checks run in f64");
            xs[i] = inputs[i].detach().requiresGrad(true);
        }
        Tensor y = f.apply(xs);
        Tensor w = Tensor.randn(new Generator(name.hashCode()), DType.F64, Device.CPU, y.shape());
        y.mul(w).sum().backward();
        for (int i = 0; i < xs.length; i++) {
            double[] x = xs[i].toDoubleArray();
            double[] analytic = xs[i].grad() == null ? new double[x.length] : xs[i].grad().toDoubleArray();
            for (int j = 0; j < x.length; j++) {
                double orig = x[j];
                x[j] = orig + eps;
                double plus = evaluate(f, xs, i, x, w);
                x[j] = orig - eps;
                double minus = evaluate(f, xs, i, x, w);
                x[j] = orig;
                double numeric = (plus - minus) / (2 * eps);
                double a = analytic[j], diff = Math.abs(a - numeric);
                if (diff > atol && diff / (Math.abs(a) + Math.abs(numeric)) > rtol)
                    throw new AssertionError(name + ": gradient of input " + i + " element " + j + ": autograd " + a + ", numeric " + numeric);
            }
        }
    }

    private static double evaluate(Function<Tensor[], Tensor> f, Tensor[] xs, int which, double[] values, Tensor w) {
        try (var g = GradMode.off()) {
            Tensor[] args = xs.clone();
            args[which] = Tensor.of(values, xs[which].shape());
            return f.apply(args).mul(w).sum().item();
        }
    }

    /** Random f64 input of the given shape, values in [lo, hi). */
    public static Tensor rand(long seed, double lo, double hi, int... shape) {
        return Tensor.rand(new Generator(seed), DType.F64, Device.CPU, shape).affine(hi - lo, lo);
    }

    public static Tensor randn(long seed, int... shape) { return Tensor.randn(new Generator(seed), DType.F64, Device.CPU, shape); }
}
