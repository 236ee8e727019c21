package dev.diffusion4j.diffusion.guidance;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.engine.Autograd;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.util.function.DoubleUnaryOperator;

/**
 * Guidance towards known values in part of the sample (inpainting, and any masked observation), after Ho et al.'s
 * reconstruction guidance: the likelihood of the observation y = mask * x_0 given x_t is modelled as
 * N(mask * x0^(x_t), r_t^2), with x0^ the model's own estimate and r_t^2 a posterior variance of x_0 given x_t, and
 * its gradient (through the model, by autograd) moves the score like a classifier's ({@link ClassifierGuidance}).
 * For Gaussian data, with r_t^2 the exact Var[x_0 | x_t] of the observed entries, the guided model is exactly the
 * model of the data conditioned on the observation, so any sampler draws the exact conditional.
 * Costs one model call with autograd per step instead of one without.
 */
public final class ReconstructionGuidance implements Denoiser {
    private final Denoiser model;
    private final NoiseSchedule schedule;
    private final Parameterization parameterization;
    private final Tensor known, mask;
    private final DoubleUnaryOperator posteriorVariance;
    private final double scale;

    /**
     * @param known             the observed values (broadcastable to x)
     * @param mask              1 where observed, 0 elsewhere (broadcastable to x)
     * @param posteriorVariance r_t^2 as a function of alpha_bar; see {@link #dataVariance}
     * @param scale             guidance weight (1: the likelihood as modelled)
     */
    public ReconstructionGuidance(Denoiser model, NoiseSchedule trainingSchedule, Parameterization parameterization,
                                  Tensor known, Tensor mask, DoubleUnaryOperator posteriorVariance, double scale) {
        this.model = model;
        this.schedule = trainingSchedule;
        this.parameterization = parameterization;
        this.known = known;
        this.mask = mask.to(known.dtype()).to(known.device());
        this.posteriorVariance = posteriorVariance;
        this.scale = scale;
    }

    /**
     * r_t^2 = s2 (1 - ab) / (ab s2 + 1 - ab): Var[x_0 | x_t] for data with independent N(., s2) entries (exact for that
     * prior, a common stand-in otherwise; s2 = 1 for data scaled to unit variance).
     */
    public static DoubleUnaryOperator dataVariance(double s2) {
        return ab -> s2 * (1 - ab) / (ab * s2 + 1 - ab);
    }

    @Override public Tensor apply(Tensor xt, Tensor t, Conditioning cond) {
        double[] ab = EpsShift.alphaBars(schedule, t);
        double[] a = new double[ab.length], b = new double[ab.length], w = new double[ab.length];
        for (int i = 0; i < ab.length; i++) {
            a[i] = Math.sqrt(ab[i]);
            b[i] = Math.sqrt(1 - ab[i]);
            w[i] = 0.5 * scale / posteriorVariance.applyAsDouble(ab[i]);
        }
        try (var g = GradMode.on()) {
            Tensor x = xt.detach().requiresGrad(true);
            Tensor out = model.apply(x, t, cond);
            Tensor pred = out.shape(1) == xt.shape(1) ? out : out.slice(1, 0, xt.shape(1));
            Tensor x0 = parameterization.toX0(pred, x, EpsShift.column(a, x), EpsShift.column(b, x));
            // scale * log N(known; x0^, r^2) over the observed entries, up to a constant
            Tensor logLik = known.sub(x0).square().mul(mask).mul(EpsShift.column(w, x)).sum().neg();
            Tensor grad = Autograd.grad(logLik, x);
            return EpsShift.apply(out.detach(), xt, parameterization, ab, grad);
        }
    }
}
