package dev.diffusion4j.diffusion;

import java.util.Locale;

/**
 * How {@link GaussianDiffusion#trainingLosses} builds the loss.
 * <ul>
 *   <li>objective SIMPLE: L_simple, the (weighted) distance between output and target, mean over dims;</li>
 *   <li>VLB: T * L_t, an unbiased estimate of L_vlb in bits/dim under uniform t (the decoder NLL at t = 1);</li>
 *   <li>HYBRID: L_simple + lambda * T * L_t with the vb term seeing a stopped-gradient mean, so it trains only the
 *       learned variance (improved DDPM, lambda = 0.001).</li>
 * </ul>
 * A learned variance needs VLB or HYBRID (nothing else trains it). Offset noise (Guttenberg) adds
 * {@code offsetNoise * N(0, 1)} shared over every dim past the channel dim to the training noise.
 * <pre>{@code LossConfig cfg = LossConfig.hybrid().withWeighting(LossWeighting.minSnr(5)).withOffsetNoise(0.1);}</pre>
 */
public record LossConfig(Objective objective, Distance distance, double huberDelta, LossWeighting weighting,
                         double vlbWeight, double offsetNoise) {
    public enum Objective { SIMPLE, VLB, HYBRID }

    public enum Distance {
        L2, L1, HUBER;

        public static Distance parse(String s) {
            for (Distance d : values()) if (d.name().equalsIgnoreCase(s.trim())) return d;
            throw new IllegalArgumentException("unknown loss distance '" + s + "': use l2, l1 or huber");
        }

        public String id() { return name().toLowerCase(Locale.ROOT); }
    }

    public LossConfig {
        if (weighting == null) weighting = LossWeighting.none();
        if (!(huberDelta > 0)) throw new IllegalArgumentException("Huber delta must be positive, got " + huberDelta);
        if (vlbWeight < 0) throw new IllegalArgumentException("vlb weight must be >= 0, got " + vlbWeight);
        if (offsetNoise < 0) throw new IllegalArgumentException("offset noise must be >= 0, got " + offsetNoise);
    }

    /** L_simple with L2, no weighting (DDPM). */
    public static LossConfig simple() { return new LossConfig(Objective.SIMPLE, Distance.L2, 1, LossWeighting.none(), 0.001, 0); }

    /** L_hybrid = L_simple + 0.001 L_vlb (improved DDPM with learned variance). */
    public static LossConfig hybrid() { return simple().withObjective(Objective.HYBRID); }

    /** L_vlb alone. */
    public static LossConfig vlb() { return simple().withObjective(Objective.VLB); }

    public LossConfig withObjective(Objective o) { return new LossConfig(o, distance, huberDelta, weighting, vlbWeight, offsetNoise); }
    public LossConfig withDistance(Distance d) { return new LossConfig(objective, d, huberDelta, weighting, vlbWeight, offsetNoise); }
    /** The Huber threshold (default 1); used when the distance is HUBER. */
    public LossConfig withHuberDelta(double delta) { return new LossConfig(objective, distance, delta, weighting, vlbWeight, offsetNoise); }
    public LossConfig withWeighting(LossWeighting w) { return new LossConfig(objective, distance, huberDelta, w, vlbWeight, offsetNoise); }
    public LossConfig withVlbWeight(double lambda) { return new LossConfig(objective, distance, huberDelta, weighting, lambda, offsetNoise); }
    public LossConfig withOffsetNoise(double s) { return new LossConfig(objective, distance, huberDelta, weighting, vlbWeight, s); }
}
