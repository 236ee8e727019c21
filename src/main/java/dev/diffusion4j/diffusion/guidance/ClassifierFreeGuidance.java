package dev.diffusion4j.diffusion.guidance;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.engine.Tensor;

/**
 * Classifier-free guidance (Ho and Salimans): a conditional model is also evaluated under its null condition and the
 * two predictions are extrapolated, eps = eps_uncond + w (eps_cond - eps_uncond). w = 1 is plain conditional sampling,
 * w = 0 unconditional, w > 1 sharpens towards the condition. Both branches go through one model call with the batch
 * doubled (conditional half first), unless the null condition is {@link NullCondition#none()}.
 *
 * <p>The combination is applied to the model's own output, whatever its parameterisation: x_0 and v are affine in eps
 * with coefficients that depend only on (x_t, t), which both branches share, and the weights (1 - w, w) sum to 1, so
 * combining x_0 or v predictions gives exactly the eps-space combination converted back, without dividing by
 * sqrt(alpha_bar) (zero at a zero-terminal-SNR step). Learned-variance channels (the second half of dim 1) are
 * taken from the conditional branch.
 * <pre>{@code
 * Denoiser guided = new ClassifierFreeGuidance(model, NullCondition.label("y", 1000), 4.0);
 * Tensor images = sampler.sample(guided, shape, DType.F32, device, Conditioning.of("y", labels), gen, null);
 * }</pre>
 */
public final class ClassifierFreeGuidance implements Denoiser {
    private final Denoiser model;
    private final NullCondition nullCondition;
    private final double scale;

    public ClassifierFreeGuidance(Denoiser model, NullCondition nullCondition, double scale) {
        if (!Double.isFinite(scale)) throw new IllegalArgumentException("guidance scale must be finite, got " + scale);
        this.model = model;
        this.nullCondition = nullCondition;
        this.scale = scale;
    }

    public double scale() { return scale; }

    public ClassifierFreeGuidance withScale(double w) { return new ClassifierFreeGuidance(model, nullCondition, w); }

    @Override public Tensor apply(Tensor xt, Tensor t, Conditioning cond) {
        if (cond == null) throw new IllegalArgumentException("classifier-free guidance needs a conditioning to guide towards");
        if (scale == 1) return model.apply(xt, t, cond);   // the unconditional branch would get weight 0
        Conditioning none = nullCondition.of(cond);
        if (scale == 0) return model.apply(xt, t, none);
        Tensor condOut, uncondOut;
        if (none == null) {
            condOut = model.apply(xt, t, cond);
            uncondOut = model.apply(xt, t, null);
        } else {
            int n = xt.shape(0);
            Tensor both = model.apply(Tensor.cat(0, xt, xt), Tensor.cat(0, t, t), Conditionings.cat(cond, none, n));
            if (both.shape(0) != 2 * n) throw new IllegalStateException("model returned batch " + both.shape(0) + " for a doubled batch of " + 2 * n);
            condOut = both.slice(0, 0, n);
            uncondOut = both.slice(0, n, 2 * n);
        }
        return combine(condOut, uncondOut, xt.shape(1), scale);
    }

    /**
     * uncond + w (cond - uncond) on the first {@code channels} channels of dim 1 (the prediction); further channels
     * (a learned variance) come from the conditional output.
     */
    public static Tensor combine(Tensor condOut, Tensor uncondOut, int channels, double w) {
        int c = condOut.shape(1);
        if (c == channels) return uncondOut.add(condOut.sub(uncondOut).mul(w));
        if (c != 2 * channels) throw new IllegalArgumentException("model output has " + c + " channels in dim 1; expected "
                + channels + " (prediction) or " + 2 * channels + " (prediction and learned variance)");
        Tensor cp = condOut.slice(1, 0, channels), up = uncondOut.slice(1, 0, channels);
        return Tensor.cat(1, up.add(cp.sub(up).mul(w)), condOut.slice(1, channels, c));
    }
}
