package dev.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.fail;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.util.Map;

/**
 * Finite-difference check (f64) of a module's gradients with respect to its input and every parameter:
 * GradCheck covers function inputs, but parameters are leaves inside the module, so they are perturbed in place.
 * Frozen parameters (a fixed position table) get no gradient and are skipped.
 */
public final class ModuleGradCheck {
    private ModuleGradCheck() {}

    public static void check(String name, Module m, Tensor x) {
        m.to(DType.F64);
        m.zeroGrad();
        Tensor xin = x.to(DType.F64).detach().requiresGrad(true);
        Tensor y = m.forward(xin);
        Tensor w = Tensor.randn(new Generator(name.hashCode()), DType.F64, Device.CPU, y.shape());
        y.mul(w).sum().backward();
        compare(name + " input", xin.grad(), xin.toDoubleArray(), v -> loss(m, Tensor.of(v, x.shape()), w));
        for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            if (!p.requiresGrad()) continue;
            double[] base = p.data().toDoubleArray();
            compare(name + " " + e.getKey(), p.grad(), base, v -> {
                p.copyFrom(Tensor.of(v, p.shape()));
                double l = loss(m, xin.detach(), w);
                p.copyFrom(Tensor.of(base, p.shape()));
                return l;
            });
        }
    }

    private static double loss(Module m, Tensor x, Tensor w) {
        try (var g = GradMode.off()) { return m.forward(x).mul(w).sum().item(); }
    }

    private static void compare(String what, Tensor grad, double[] x, java.util.function.ToDoubleFunction<double[]> f) {
        double[] a = grad == null ? new double[x.length] : grad.toDoubleArray();
        double eps = 1e-6;
        for (int j = 0; j < x.length; j++) {
            double[] v = x.clone();
            v[j] = x[j] + eps;
            double plus = f.applyAsDouble(v);
            v[j] = x[j] - eps;
            double minus = f.applyAsDouble(v);
            double n = (plus - minus) / (2 * eps), diff = Math.abs(a[j] - n);
            if (diff > 1e-7 && diff / (Math.abs(a[j]) + Math.abs(n)) > 1e-5)
                fail(what + " element " + j + ": autograd " + a[j] + ", numeric " + n);
        }
    }
}
