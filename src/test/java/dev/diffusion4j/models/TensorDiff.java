package dev.diffusion4j.models;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import java.util.Locale;

/**
 * How far a tensor is from a reference: max |a - r| over max |r|, and the relative L2 norm ||a - r|| / ||r||.
 * Accumulates over several tensors (a model's gradients) and remembers the worst one by name.
 */
public final class TensorDiff {
    private double diff2, ref2, worstRel = -1;
    private String worstName = "";

    /** Relative L2 of one tensor pair; adds it to the totals. */
    double add(String name, Tensor actual, Tensor reference) {
        double[] a = actual.to(Device.CPU).to(DType.F64).toDoubleArray(), r = reference.to(Device.CPU).to(DType.F64).toDoubleArray();
        if (a.length != r.length) throw new AssertionError(name + ": " + a.length + " values vs " + r.length + " in the reference");
        double d2 = 0, r2 = 0;
        for (int i = 0; i < a.length; i++) { d2 += (a[i] - r[i]) * (a[i] - r[i]); r2 += r[i] * r[i]; }
        diff2 += d2;
        ref2 += r2;
        double rel = Math.sqrt(d2 / Math.max(r2, 1e-300));
        if (rel > worstRel) { worstRel = rel; worstName = name; }
        return rel;
    }

    /** {max |a - r| / max |r|, ||a - r|| / ||r||} of one pair. */
    public static double[] errors(Tensor actual, Tensor reference) {
        double rel = new TensorDiff().add("", actual, reference);
        return new double[] {maxRel(actual, reference), rel};
    }

    static double maxRel(Tensor actual, Tensor reference) {
        double[] a = actual.to(Device.CPU).to(DType.F64).toDoubleArray(), r = reference.to(Device.CPU).to(DType.F64).toDoubleArray();
        double maxR = 1e-300, maxD = 0;
        for (int i = 0; i < a.length; i++) { maxR = Math.max(maxR, Math.abs(r[i])); maxD = Math.max(maxD, Math.abs(a[i] - r[i])); }
        return maxD / maxR;
    }

    double totalRel() { return Math.sqrt(diff2 / Math.max(ref2, 1e-300)); }
    double worstRel() { return worstRel; }
    String worstName() { return worstName; }

    @Override public String toString() {
        return String.format(Locale.ROOT, "rel L2 %.2e overall, worst %.2e (%s)", totalRel(), worstRel, worstName);
    }
}
