package dev.diffusion4j.diffusion;

/**
 * A per-timestep weight on L_simple, defined as a weight w(SNR) on the eps-space squared error and converted to the
 * model's target: x_0-space error is eps-space error / SNR, v-space error is eps-space error (1 + SNR)/SNR. So
 * min-SNR-gamma (Hang et al. 2023, w = min(SNR, gamma)/SNR) becomes min(SNR, gamma) for x0 and min(SNR, gamma)/(SNR + 1)
 * for v, as in the paper; P2 (Choi et al. 2022, w = 1/(k + SNR)^gamma) is converted the same way.
 * <pre>{@code LossConfig.simple().withWeighting(LossWeighting.minSnr(5))}</pre>
 */
public record LossWeighting(Kind kind, double gamma, double k) {
    public enum Kind { NONE, MIN_SNR, P2 }

    public static LossWeighting none() { return new LossWeighting(Kind.NONE, 0, 0); }

    /** min-SNR-gamma; the paper's default gamma is 5. */
    public static LossWeighting minSnr(double gamma) {
        if (!(gamma > 0)) throw new IllegalArgumentException("min-SNR gamma must be positive, got " + gamma);
        return new LossWeighting(Kind.MIN_SNR, gamma, 0);
    }

    /** P2 weighting 1/(k + SNR)^gamma; the paper uses k = 1 and gamma 0.5 or 1. */
    public static LossWeighting p2(double gamma, double k) { return new LossWeighting(Kind.P2, gamma, k); }

    /** The weight on the squared error of {@code target} at a timestep with this SNR. */
    public double weight(double snr, Parameterization target) {
        if (kind == Kind.NONE) return 1;
        double wEps = switch (kind) {
            case MIN_SNR -> Math.min(1, gamma / snr);   // min(SNR, gamma)/SNR, finite at SNR = 0
            case P2 -> Math.pow(k + snr, -gamma);
            default -> 1;
        };
        return switch (target) {
            case EPS -> wEps;
            case X0 -> wEps * snr;
            case V -> Double.isInfinite(snr) ? wEps : wEps * snr / (snr + 1);
        };
    }
}
