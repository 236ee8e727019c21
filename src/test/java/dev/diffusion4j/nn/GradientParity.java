package dev.diffusion4j.nn;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import java.util.Map;

/**
 * The worst parameter gradient of one model against a reference model's (same names), for device-parity tests. Each
 * error is relative to the larger of the reference gradient's own norm and 1e-3 of the norm of all reference gradients:
 * some gradients are zero in exact arithmetic (an attention key's bias: softmax ignores a score added to every key),
 * and their rounding noise on two devices has no meaningful relative size.
 */
public record GradientParity(String name, double relL2) {

    public static GradientParity worst(Map<String, Parameter> got, Map<String, Parameter> reference) {
        double total = 0;
        for (Parameter p : reference.values()) if (p.grad() != null) total += sq(p.grad());
        double floor = 1e-3 * Math.sqrt(total), worst = 0;
        String worstName = "";
        for (var e : reference.entrySet()) {
            Tensor r = e.getValue().grad(), g = got.get(e.getKey()).grad();
            if (r == null && g == null) continue;
            if (r == null || g == null) throw new AssertionError(e.getKey() + ": gradient on one side only");
            double err = Math.sqrt(sq(g.to(Device.CPU).to(DType.F64).sub(r.to(Device.CPU).to(DType.F64))));
            double rel = err / Math.max(Math.sqrt(sq(r)), floor);
            if (rel > worst) { worst = rel; worstName = e.getKey(); }
        }
        return new GradientParity(worstName, worst);
    }

    private static double sq(Tensor t) {
        double s = 0;
        for (double v : t.to(Device.CPU).toDoubleArray()) s += v * v;
        return s;
    }
}
