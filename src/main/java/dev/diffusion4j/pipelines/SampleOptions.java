package dev.diffusion4j.pipelines;

import dev.diffusion4j.train.SampleConfig;

/**
 * How {@link DiffusionPipeline} draws: the options of {@code diffuse sample} with its defaults. Unset sampler, steps
 * and guidance take the run's saved sample config, as the CLI does. Build with {@link #builder()}.
 */
public final class SampleOptions {
    /** What the label option means: every class in rows (the CLI's default on class-conditional runs), none, or one. */
    public static final int ALL_CLASSES = -1, UNCONDITIONAL = -2;
    /** The defaults, stated once for this class and {@code diffuse sample}'s options (text: option defaults are constants). */
    public static final String DEFAULT_ETA = "0.0", DEFAULT_SEED = "0", DEFAULT_BATCH_SIZE = "64";

    final String sampler;
    final Integer steps;
    final double eta;
    final long seed;
    final Double guidance;
    final int label;
    final boolean clip;
    final int batchSize;
    final java.util.List<String> prompts;   // null: no prompt (runs without text)
    final String negativePrompt;

    private SampleOptions(Builder b) {
        sampler = b.sampler;
        steps = b.steps;
        eta = b.eta;
        seed = b.seed;
        guidance = b.guidance;
        label = b.label;
        clip = b.clip;
        batchSize = b.batchSize;
        prompts = b.prompts.isEmpty() ? null : java.util.List.copyOf(b.prompts);
        negativePrompt = b.negativePrompt;
    }

    public static Builder builder() { return new Builder(); }

    public double eta() { return eta; }
    public long seed() { return seed; }
    public int batchSize() { return batchSize; }
    public boolean clip() { return clip; }

    /** Every option at its default (the run's sampler, steps and guidance; seed 0; eta 0; clipping on). */
    public static SampleOptions defaults() { return builder().build(); }

    /** The sample config the CLI would build from these options over a run's saved one ({@code count} images). */
    SampleConfig resolve(SampleConfig run, int count, boolean latent) {
        return new SampleConfig(sampler != null ? sampler : run.sampler(), steps != null ? steps : run.steps(), eta, count, seed,
                clip && !latent, guidance != null ? guidance : run.guidance(), run.gridScale());
    }

    public static final class Builder {
        private String sampler;
        private Integer steps;
        private double eta = Double.parseDouble(DEFAULT_ETA);
        private long seed = Long.parseLong(DEFAULT_SEED);
        private Double guidance;
        private int label = ALL_CLASSES;
        private boolean clip = true;
        private int batchSize = Integer.parseInt(DEFAULT_BATCH_SIZE);
        private final java.util.List<String> prompts = new java.util.ArrayList<>();
        private String negativePrompt;

        private Builder() {}

        /** ddpm, ddim, euler, euler-a, heun or dpm++2m, as {@code diffuse sample --sampler} spells them. */
        public Builder sampler(String name) {
            // the same check (and message) as the sampler factory's
            new SampleConfig(name, 1, 0, 1, 0);
            sampler = name;
            return this;
        }

        public Builder steps(int n) {
            if (n < 1) throw new IllegalArgumentException("steps must be >= 1, got " + n);
            steps = n;
            return this;
        }

        /** DDIM's eta in [0, 1]: 0 deterministic, 1 DDPM-like. */
        public Builder eta(double e) {
            if (!(e >= 0 && e <= 1)) throw new IllegalArgumentException("eta must be in [0, 1], got " + e);
            eta = e;
            return this;
        }

        /** Seed of the sampling noise; batch b of a large sample draws from seed + b, as the CLI does. */
        public Builder seed(long s) { seed = s; return this; }

        /** Classifier-free guidance scale for class-conditional runs (1 = plain conditional). */
        public Builder guidance(double w) {
            if (!(w >= 0 && Double.isFinite(w))) throw new IllegalArgumentException("guidance must be >= 0, got " + w);
            guidance = w;
            return this;
        }

        /** Draw class k only (class-conditional runs). */
        public Builder label(int k) {
            if (k < 0) throw new IllegalArgumentException("class label must be >= 0, got " + k);
            label = k;
            return this;
        }

        /** Draw unconditionally (the class-conditional model's learned "no class"). */
        public Builder unconditional() { label = UNCONDITIONAL; return this; }

        /** Draw every class in rows (the default). */
        public Builder allClasses() { label = ALL_CLASSES; return this; }

        /** Clip each step's predicted x0 to [-1, 1] (on by default; never for latent runs). */
        public Builder clip(boolean on) { clip = on; return this; }

        /** Images sampled at once (changes nothing but memory; seeds follow batches, as in the CLI). */
        public Builder batchSize(int b) {
            if (b < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + b);
            batchSize = b;
            return this;
        }

        /**
         * For a text-to-image run: what to draw. Several prompts share the images evenly, in order (one row each when
         * the count is a multiple), as repeated {@code --prompt} options do.
         */
        public Builder prompt(String... texts) {
            for (String t : texts) prompts.add(java.util.Objects.requireNonNull(t, "prompt"));
            return this;
        }

        /** With a prompt: what classifier-free guidance steers away from (default: the empty prompt). */
        public Builder negativePrompt(String text) { negativePrompt = text; return this; }

        public SampleOptions build() { return new SampleOptions(this); }
    }
}
