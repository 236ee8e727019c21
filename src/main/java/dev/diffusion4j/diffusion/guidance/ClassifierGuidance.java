package dev.diffusion4j.diffusion.guidance;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.MeanShift;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.engine.Autograd;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;

/**
 * Classifier guidance (Dhariwal and Nichol): a classifier of noisy inputs, log p(y | x_t, t), steers an
 * (unconditional or conditional) model towards class y by its input gradient g = s grad_x log p(y | x_t, t):
 * <ul>
 *   <li>{@link #meanShift()} moves each ancestral step's mean by Sigma g (their Algorithm 1), for
 *       {@link dev.diffusion4j.diffusion.DdpmSampler#withMeanShift};</li>
 *   <li>{@link #guide} wraps the model so eps becomes eps - sqrt(1 - alpha_bar) g (their Algorithm 2: the score
 *       moves by g), for DDIM, the sigma-grid samplers, or any sampler.</li>
 * </ul>
 * The gradient is taken with the engine's autograd inside the sampler's no-grad scope, without touching any
 * parameter's {@code grad}. With the exact Bayes classifier and s = 1 the guided score is exactly the conditional score.
 * <pre>{@code
 * var guidance = new ClassifierGuidance(ClassifierGuidance.fromLogits(classifier, "y"), 2.0);
 * Tensor a = new DdpmSampler(d).withMeanShift(guidance.meanShift()).sample(model, noise, Conditioning.of("y", y), gen, null);
 * Tensor b = new DdimSampler(d.respaced("ddim50"), 0).sample(guidance.guide(model, schedule, Parameterization.EPS), noise, cond, gen, null);
 * }</pre>
 */
public final class ClassifierGuidance {
    /** log p(y | x_t, t) per sample, [N], differentiable in x_t; y (if any) comes from the conditioning; t as the model sees it. */
    @FunctionalInterface
    public interface LogLikelihood {
        Tensor apply(Tensor xt, Tensor t, Conditioning cond);
    }

    /** A noisy-input classifier: logits [N, K] for x_t at training timesteps t. */
    @FunctionalInterface
    public interface Classifier {
        Tensor logits(Tensor xt, Tensor t, Conditioning cond);
    }

    private final LogLikelihood logLikelihood;
    private final double scale;

    public ClassifierGuidance(LogLikelihood logLikelihood, double scale) {
        if (!Double.isFinite(scale)) throw new IllegalArgumentException("guidance scale must be finite, got " + scale);
        this.logLikelihood = logLikelihood;
        this.scale = scale;
    }

    /** log softmax(logits)[y] with y the i64 labels [N] under {@code labelName} in the conditioning. */
    public static LogLikelihood fromLogits(Classifier classifier, String labelName) {
        return (xt, t, cond) -> {
            Tensor y = cond == null ? null : cond.get(labelName);
            if (y == null) throw new IllegalArgumentException("classifier guidance needs target labels under '" + labelName + "' in the conditioning");
            Tensor logp = F.logSoftmax(classifier.logits(xt, t, cond), 1);
            return logp.gather(1, y.reshape(-1, 1)).reshape(-1);
        };
    }

    public double scale() { return scale; }

    /** s grad_x sum_n log p(y_n | x_t,n, t_n): autograd on a detached copy of x_t, whatever the caller's grad mode. */
    public Tensor gradient(Tensor xt, Tensor t, Conditioning cond) {
        try (var g = GradMode.on()) {
            Tensor x = xt.detach().requiresGrad(true);
            Tensor lp = logLikelihood.apply(x, t, cond);
            if (lp.numel() != xt.shape(0)) throw new IllegalStateException("log-likelihood must give one value per sample, got " + lp);
            Tensor grad = Autograd.grad(lp.sum(), x);
            return scale == 1 ? grad : grad.mul(scale);
        }
    }

    /** For ancestral sampling: each step's mean moves by Sigma g. */
    public MeanShift meanShift() {
        return (xt, t, p, cond) -> {
            Tensor g = gradient(xt, t, cond), v = p.variance();
            return v.rank() == 0 ? g.mul(v.item()) : g.mul(v);   // a fixed variance is one number per step
        };
    }

    /**
     * The model with eps moved by -sqrt(1 - alpha_bar) g, in its own parameterisation (learned-variance channels kept).
     * {@code trainingSchedule} gives alpha_bar at the timesteps the model is called with: the schedule it was trained
     * on (not a respaced one).
     */
    public Denoiser guide(Denoiser model, NoiseSchedule trainingSchedule, Parameterization parameterization) {
        return (xt, t, cond) -> {
            Tensor out = model.apply(xt, t, cond);
            return EpsShift.apply(out, xt, parameterization, EpsShift.alphaBars(trainingSchedule, t), gradient(xt, t, cond));
        };
    }
}
