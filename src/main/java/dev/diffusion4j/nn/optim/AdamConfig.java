package dev.diffusion4j.nn.optim;

/** Hyperparameters of {@link Adam} and {@link AdamW}, with PyTorch's defaults. */
public record AdamConfig(double lr, double beta1, double beta2, double eps, double weightDecay) {
    public AdamConfig {
        if (!(lr >= 0)) throw new IllegalArgumentException("lr must be >= 0, got " + lr);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
            throw new IllegalArgumentException("betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
        if (!(eps >= 0)) throw new IllegalArgumentException("eps must be >= 0, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
    }

    /** torch.optim.AdamW: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2. */
    public static AdamConfig adamWDefaults() { return new AdamConfig(1e-3, 0.9, 0.999, 1e-8, 1e-2); }

    /** torch.optim.Adam: as AdamW but no weight decay. */
    public static AdamConfig adamDefaults() { return new AdamConfig(1e-3, 0.9, 0.999, 1e-8, 0); }

    public AdamConfig withLr(double v) { return new AdamConfig(v, beta1, beta2, eps, weightDecay); }
    public AdamConfig withBetas(double b1, double b2) { return new AdamConfig(lr, b1, b2, eps, weightDecay); }
    public AdamConfig withEps(double v) { return new AdamConfig(lr, beta1, beta2, v, weightDecay); }
    public AdamConfig withWeightDecay(double v) { return new AdamConfig(lr, beta1, beta2, eps, v); }
}
