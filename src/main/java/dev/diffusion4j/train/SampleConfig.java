package dev.diffusion4j.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.diffusion4j.diffusion.Samplers;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.io.ConfigJson;
import java.util.Map;

/**
 * How to draw samples.
 *
 * @param sampler ddpm, ddim, euler, euler-a, heun or dpm++2m
 * @param steps   reverse steps (ddpm/ddim respace the T training steps to this many)
 * @param eta     DDIM's eta (0 deterministic, 1 like DDPM)
 * @param count   images in a grid
 * @param seed    seed of the sampling noise (grids over training use the same noise, so they are comparable)
 * @param clipX0  clip each step's predicted x0 to the data range [-1, 1] (improved-diffusion's clip_denoised)
 * @param guidance classifier-free guidance scale for class-conditional models (1 = plain conditional sampling)
 * @param gridScale nearest-neighbour upscaling of grid PNGs ({@link #AUTO_SCALE}: enough for cells of 64 pixels)
 */
public record SampleConfig(@JsonProperty(defaultValue = Defaults.SAMPLER) String sampler, @JsonProperty(defaultValue = Defaults.SAMPLE_STEPS) int steps,
                           @JsonProperty(defaultValue = "0.0") double eta, @JsonProperty(defaultValue = Defaults.GRID_SIZE) int count,
                           @JsonProperty(defaultValue = "1234") long seed, @JsonProperty(defaultValue = "true") boolean clipX0,
                           @JsonProperty(defaultValue = "3.0") double guidance, @JsonProperty(defaultValue = "0") int gridScale) {
    public static final double DEFAULT_GUIDANCE = 3.0;
    /** gridScale value meaning: upscale small images until a grid cell is at least 64 pixels wide. */
    public static final int AUTO_SCALE = 0;

    /** Every field at its declared default (each key of the JSON form is optional). */
    public static SampleConfig defaults() { return ConfigJson.defaults(SampleConfig.class); }

    public SampleConfig(String sampler, int steps, double eta, int count, long seed) { this(sampler, steps, eta, count, seed, true); }

    public SampleConfig(String sampler, int steps, double eta, int count, long seed, boolean clipX0) {
        this(sampler, steps, eta, count, seed, clipX0, DEFAULT_GUIDANCE, AUTO_SCALE);
    }

    public static final String NAMES = Samplers.NAMES;

    public SampleConfig {
        if (steps < 1 || count < 1) throw new IllegalArgumentException("sampling steps and count must be >= 1");
        if (!Double.isFinite(guidance) || guidance < 0) throw new IllegalArgumentException("guidance scale must be >= 0, got " + guidance);
        if (gridScale < 0 || gridScale > 32) throw new IllegalArgumentException("grid scale must be 0 (auto) to 32, got " + gridScale);
        String unknown = Samplers.check(sampler);
        if (unknown != null) throw new IllegalArgumentException(unknown);
    }

    /** The same settings with another image count and noise seed (e.g. one batch of a larger sample). */
    public SampleConfig withCountAndSeed(int n, long s) { return new SampleConfig(sampler, steps, eta, n, s, clipX0, guidance, gridScale); }

    /** The upscaling factor for grids of h x w images: gridScale, or for AUTO_SCALE the least integer making cells 64 pixels. */
    public int gridScaleFor(int h, int w) {
        return gridScale != AUTO_SCALE ? gridScale : Math.max(1, (64 + Math.max(h, w) - 1) / Math.max(h, w));
    }

    /** The sampler over the given (unrespaced) training diffusion ({@link Samplers#create}). */
    public Sampler create(GaussianDiffusion diffusion) { return Samplers.create(sampler, diffusion, steps, eta, clipX0); }

    public Map<String, Object> toJson() { return ConfigJson.toMap(this); }

    /** Binds a parsed "sample" section strictly (null: the defaults); missing keys take their defaults. */
    public static SampleConfig fromJson(Map<String, ?> m) {
        return m == null ? defaults() : ConfigJson.bind(m, SampleConfig.class, "sample config");
    }
}
