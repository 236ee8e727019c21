package dev.diffusion4j.engine;

/**
 * The scalars of one Adam(W) update of a parameter p with gradient g and moments m, v (see
 * {@link Backend#adamUpdate}): g' = g + l2 p; p *= decay; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
 * p -= lr/bc1 * m / (sqrt(v)/bc2Sqrt + eps). {@code decay} is 1 - lr*wd for AdamW and 1 for Adam;
 * {@code l2} is Adam's coupled weight decay (0 for AdamW).
 */
public record AdamUpdate(double lr, double beta1, double beta2, double eps, double decay, double l2,
                         double biasCorrection1, double biasCorrection2Sqrt) {}
