package dev.diffusion4j.train;

import dev.diffusion4j.data.SplitMix64;
import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.metrics.FeatureExtraction;
import dev.diffusion4j.models.ModelConfig;

/**
 * Images drawn from a trained model for sample-quality metrics, batch by batch: a class-conditional model draws the
 * classes in turn (image i has class i mod K, guided at the sample config's scale), and each batch has its own seed
 * derived from the base seed and its first index, so no two batches share their noise.
 */
public final class GeneratedImages implements FeatureExtraction.Batches {
    private final Denoiser model;
    private final GaussianDiffusion diffusion;
    private final SampleConfig sample;
    private final ModelConfig mc;
    private final boolean classConditional;
    private final Device device;
    private final long seed;

    /** {@code model}: a network's own denoiser (NetworkDenoiser, or it graphed); class guidance is added here. */
    public GeneratedImages(Denoiser model, GaussianDiffusion diffusion, SampleConfig sample, ModelConfig mc, boolean classConditional,
                           Device device, long seed) {
        this.classConditional = classConditional && mc.numClasses() > 0;
        this.model = this.classConditional ? Sampling.guided(model, mc, sample.guidance()) : model;
        this.diffusion = diffusion;
        this.sample = sample;
        this.mc = mc;
        this.device = device;
        this.seed = seed;
    }

    @Override public Tensor get(int start, int size) {
        Conditioning cond = null;
        if (classConditional) {
            long[] labels = new long[size];
            for (int i = 0; i < size; i++) labels[i] = (start + i) % mc.numClasses();
            cond = Sampling.labels(labels, device);
        }
        SampleConfig sc = sample.withCountAndSeed(size, SplitMix64.mix(seed, start));
        return Sampling.sample(model, diffusion, sc, mc, device, size, cond, null);
    }
}
