package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Tensor;

/** Elementwise Gaussian log-likelihoods and KL divergences in nats (differentiable tensor compositions). */
public final class GaussianMath {
    private GaussianMath() {}

    private static final double LOG_2PI = Math.log(2 * Math.PI);

    /** KL(N(m1, exp(lv1)) || N(m2, exp(lv2))) per element; arguments broadcast. */
    public static Tensor normalKl(Tensor mean1, Tensor logVar1, Tensor mean2, Tensor logVar2) {
        Tensor d = mean1.sub(mean2);
        return logVar2.sub(logVar1)
                .add(logVar1.sub(logVar2).exp())
                .add(d.square().mul(logVar2.neg().exp()))
                .sub(1.0)
                .mul(0.5);
    }

    /** log N(x; mean, exp(logVar)) per element. */
    public static Tensor gaussianLogDensity(Tensor x, Tensor mean, Tensor logVar) {
        return x.sub(mean).square().mul(logVar.neg().exp()).add(logVar).add(LOG_2PI).mul(-0.5);
    }

    /** Phi(x), the standard normal CDF, through the exact erf. */
    public static Tensor standardNormalCdf(Tensor x) { return x.mul(1 / Math.sqrt(2)).erf().add(1.0).mul(0.5); }

    /**
     * log P(bin of x) for data x in [-1, 1] quantised to {@code levels} values (bin width 2/(levels-1)) under
     * N(mean, exp(2 logScale)); the edge bins reach to -inf and +inf so the probabilities sum to 1 (improved DDPM's
     * decoder). Probabilities are floored at 1e-12 before the log.
     */
    public static Tensor discretizedGaussianLogLikelihood(Tensor x, Tensor mean, Tensor logScale, int levels) {
        double half = 1.0 / (levels - 1);
        double edge = 1 - half / 2;    // x below -edge is the lowest level, above +edge the highest
        Tensor centered = x.sub(mean);
        Tensor invStd = logScale.neg().exp();
        Tensor cdfPlus = standardNormalCdf(centered.add(half).mul(invStd));
        Tensor cdfMin = standardNormalCdf(centered.sub(half).mul(invStd));
        Tensor logCdfPlus = cdfPlus.clamp(1e-12, Double.MAX_VALUE).log();
        Tensor logOneMinusCdfMin = cdfMin.rsub(1.0).clamp(1e-12, Double.MAX_VALUE).log();
        Tensor logDelta = cdfPlus.sub(cdfMin).clamp(1e-12, Double.MAX_VALUE).log();
        Tensor low = x.lt(-edge), high = x.gt(edge);
        return Tensor.where(low, logCdfPlus, Tensor.where(high, logOneMinusCdfMin, logDelta));
    }
}
