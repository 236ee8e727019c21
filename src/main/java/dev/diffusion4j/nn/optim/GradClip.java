package dev.diffusion4j.nn.optim;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_. */
public final class GradClip {
    private GradClip() {}

    /** sqrt of the sum of squares of every gradient (parameters without one are skipped). */
    public static double gradNorm(List<Parameter> params) {
        // summed on each gradient's device and read back once per device, not once per parameter
        Map<Device, List<Tensor>> byDevice = new LinkedHashMap<>();
        for (Parameter p : params) {
            Tensor gr = p.grad();
            if (gr != null) byDevice.computeIfAbsent(gr.device(), d -> new ArrayList<>()).add(gr);
        }
        double sum = 0;
        for (List<Tensor> grads : byDevice.values()) sum += grads.get(0).backend().sumOfSquares(grads).item();
        return Math.sqrt(sum);
    }

    /**
     * Scales all gradients by maxNorm / (norm + 1e-6) when that is below 1 and returns the norm before clipping
     * (NaN or infinite when some gradient is; the caller decides whether to skip the step). Gradients are replaced,
     * not written into: autograd may share one gradient tensor between leaves.
     */
    public static double clipGradNorm(List<Parameter> params, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
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
}
