package dev.diffusion4j.train;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.diffusion.guidance.ClassifierFreeGuidance;
import dev.diffusion4j.diffusion.guidance.NullCondition;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.NetworkDenoiser;

/** Draws images in [-1, 1] from a trained denoiser with the configured sampler, in batches, without autograd. */
public final class Sampling {
    private Sampling() {}

    /**
     * The labels of a grid with one row per class: {@code max(1, count / classes)} images of class 0, then as many of
     * class 1, and so on. The grid then has {@link #perClass} columns.
     */
    public static long[] classRows(int classes, int count) {
        if (classes < 1) throw new IllegalArgumentException("need at least one class, got " + classes);
        int per = perClass(classes, count);
        long[] labels = new long[classes * per];
        for (int i = 0; i < labels.length; i++) labels[i] = i / per;
        return labels;
    }

    /**
     * Exactly {@code count} labels in rows of {@link #perClass} images per class, in label order, starting again at
     * class 0 when count is not a multiple of the classes: 3 images of 5 classes are classes 0, 1, 2; 7 of 2 are
     * 0, 0, 0, 1, 1, 1, 0. What {@code diffuse sample} draws, where --count is a promise.
     */
    public static long[] classCycle(int classes, int count) {
        if (classes < 1) throw new IllegalArgumentException("need at least one class, got " + classes);
        int per = perClass(classes, count);
        long[] labels = new long[count];
        for (int i = 0; i < count; i++) labels[i] = (i / per) % classes;
        return labels;
    }

    /** Images per class (per grid row) in a class-row grid of about {@code count} images. */
    public static int perClass(int classes, int count) { return Math.max(1, count / classes); }

    /**
     * The denoiser to sample a class-conditional model with: classifier-free guidance at scale w (the model's extra
     * label {@code numClasses} is its learned "no class"), or the plain model when w = 1 or the model has no classes.
     * Every one of the C prediction channels is guided (the DiT reference guides only the first 3 of its 4 latent
     * channels); a learned variance comes from the conditional branch.
     */
    public static Denoiser guided(Denoiser model, ModelConfig mc, double w) {
        if (mc.numClasses() == 0 || w == 1) return model;
        return new ClassifierFreeGuidance(model, NullCondition.label(NetworkDenoiser.LABEL, mc.numClasses()), w);
    }

    /** A conditioning carrying the given labels on the device. */
    public static Conditioning labels(long[] labels, Device device) {
        return Conditioning.of(NetworkDenoiser.LABEL, Tensor.ofLongs(labels, labels.length).to(device));
    }

    /** count images; cond applies to every batch (null for unconditional); callback may be null. */
    public static Tensor sample(Denoiser model, GaussianDiffusion diffusion, SampleConfig sc, ModelConfig mc, Device device, int count,
                                Conditioning cond, StepCallback callback) {
        return sample(sc.create(diffusion), model, sc, mc, device, count, cond, callback);
    }

    /**
     * As above with a given sampler (e.g. one with classifier guidance); sc gives the seed. Pixel samples (x0 clipping
     * on, as pixel runs train) end clamped to [-1, 1]; latents (clipping off) are returned as they are, because their
     * range is not [-1, 1] (unit std under scale_by_std) and their decoder clamps the pixels it makes.
     */
    public static Tensor sample(dev.diffusion4j.diffusion.Sampler sampler, Denoiser model, SampleConfig sc, ModelConfig mc, Device device, int count,
                                Conditioning cond, StepCallback callback) {
        Generator gen = new Generator(sc.seed());
        try (var g = GradMode.off()) {
            int[] shape = {count, mc.inChannels(), mc.resolution(), mc.resolution()};
            Tensor noise = Tensor.randn(gen, DType.F32, device, shape);
            Tensor x = sampler.sample(model, noise, cond, gen, callback == null ? StepCallback.none() : callback);
            return sc.clipX0() ? x.clamp(-1, 1) : x;
        }
    }
}
