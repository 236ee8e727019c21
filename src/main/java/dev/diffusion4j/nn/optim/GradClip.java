package dev.diffusion4j.nn.optim;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_. The {@code double} forms read the norm back
 * (on a GPU, a wait for the backward to finish); the {@code OnDevice} forms leave it on the gradients' device, so a
 * training step can be queued whole and its norm read later (issue 19: no host synchronisation inside a step).
 */
public final class GradClip {
    private GradClip() {}

    /** sqrt of the sum of squares of every gradient (parameters without one are skipped). */
    public static double gradNorm(List<Parameter> params) { return gradNormOnDevice(params).item(); }

    /**
     * The global norm as a 0-d f64 tensor on the gradients' device, computed without reading anything back (0 on the
     * CPU when no parameter has a gradient). Gradients on several devices are summed on the CPU.
     */
    public static Tensor gradNormOnDevice(List<Parameter> params) {
        // summed on each gradient's device in one call per device, not once per parameter
        Map<Device, List<Tensor>> byDevice = new LinkedHashMap<>();
        for (Parameter p : params) {
            Tensor gr = p.grad();
            if (gr != null) byDevice.computeIfAbsent(gr.device(), d -> new ArrayList<>()).add(gr);
        }
        try (var g = GradMode.off()) {
            Tensor sum = null;
            for (List<Tensor> grads : byDevice.values()) {
                Tensor part = grads.get(0).backend().sumOfSquares(grads);
                sum = sum == null ? part : sum.to(Device.CPU).add(part.to(Device.CPU));
            }
            return sum == null ? Tensor.zeros(DType.F64, Device.CPU) : sum.sqrt();
        }
    }

    /**
     * Scales all gradients by maxNorm / (norm + 1e-6) when that is below 1 and returns the norm before clipping
     * (NaN or infinite when some gradient is; the caller decides whether to skip the step). Gradients are replaced,
     * not written into: autograd may share one gradient tensor between leaves.
     */
    public static double clipGradNorm(List<Parameter> params, double maxNorm) {
        requirePositive(maxNorm);
        double norm = gradNorm(params);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            try (var g = GradMode.off()) {
                for (Parameter p : params) {
                    Tensor gr = p.grad();
                    if (gr != null) p.setGrad(gr.detach().mul(coef));
                }
            }
        }
        return norm;
    }

    public static double clipGradNorm(Module model, double maxNorm) { return clipGradNorm(model.parameters(), maxNorm); }

    /**
     * {@link #clipGradNorm} without reading the norm back: every gradient is multiplied by min(1, maxNorm / (norm +
     * 1e-6)), computed on the device (the same values: a factor of 1 leaves a gradient exactly as it was), and the norm
     * before clipping is returned as a 0-d f64 tensor there. A non-finite norm makes the gradients non-finite too;
     * the caller reads the norm when it needs to know.
     */
    public static Tensor clipGradNormOnDevice(List<Parameter> params, double maxNorm) {
        requirePositive(maxNorm);
        Tensor norm = gradNormOnDevice(params);
        // scaled on each gradient's device in one call per device (one launch per group of gradients on a GPU)
        Map<Device, List<Parameter>> byDevice = new LinkedHashMap<>();
        for (Parameter p : params) if (p.grad() != null) byDevice.computeIfAbsent(p.grad().device(), d -> new ArrayList<>()).add(p);
        for (var e : byDevice.entrySet()) {
            List<Tensor> grads = new ArrayList<>();
            for (Parameter p : e.getValue()) grads.add(p.grad().detach());
            List<Tensor> scaled = grads.get(0).backend().clipScaleAll(grads, norm.to(e.getKey()), maxNorm);
            for (int i = 0; i < grads.size(); i++) e.getValue().get(i).setGrad(scaled.get(i));
        }
        return norm;
    }

    public static Tensor clipGradNormOnDevice(Module model, double maxNorm) { return clipGradNormOnDevice(model.parameters(), maxNorm); }

    private static void requirePositive(double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
    }
}
