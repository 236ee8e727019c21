package dev.diffusion4j.train;

import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.guidance.ClassifierGuidance;
import dev.diffusion4j.diffusion.guidance.ClassifierGuidedSampler;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.models.NoisyClassifier;
import java.nio.file.Path;

/**
 * A trained noisy classifier ready to guide the sampling of a diffusion run at scale s: checked against that run
 * (image shape, the same noise schedule, the same classes for a class-conditional run) before anything is sampled.
 * The target classes travel in the conditioning under {@link NetworkDenoiser#LABEL}.
 */
public final class ClassifierGuide {
    private final NoisyClassifier classifier;
    private final ClassifierGuidance guidance;

    private ClassifierGuide(NoisyClassifier classifier, double scale) {
        this.classifier = classifier;
        this.guidance = new ClassifierGuidance(ClassifierGuidance.fromLogits((xt, t, cond) -> classifier.logits(xt, t), NetworkDenoiser.LABEL), scale);
    }

    /** Opens the classifier run at {@code dir} for guiding {@code base}; refusals name what differs and what to do. */
    public static ClassifierGuide open(Path dir, TrainConfig base, double scale, Device device) {
        ClassifierRun run = ClassifierRun.open(dir);
        ClassifierRunConfig c = run.config();
        check(c, base, dir);
        return new ClassifierGuide(run.loadModel(device), scale);
    }

    static void check(ClassifierRunConfig c, TrainConfig base, Path dir) {
        ModelConfig m = base.model();
        if (c.model().inChannels() != m.inChannels() || c.model().resolution() != m.resolution())
            throw new IllegalArgumentException("the classifier " + dir + " reads " + c.model().resolution() + "x" + c.model().resolution() + " images with "
                    + c.model().inChannels() + " channel(s), but the run samples " + m.resolution() + "x" + m.resolution() + " with " + m.inChannels()
                    + "; train one for this run: " + Invocation.command() + " train-classifier --run RUN --out " + Invocation.quote(dir));
        if (!sameSchedule(c.diffusion().noiseSchedule(), base.diffusion().noiseSchedule()))
            throw new IllegalArgumentException("the classifier " + dir + " was trained on another noise schedule (" + c.diffusion().schedule() + ", "
                    + c.diffusion().steps() + " steps) than the run (" + base.diffusion().schedule() + ", " + base.diffusion().steps()
                    + " steps); train it with train-classifier --run pointing at this run");
        if (m.numClasses() > 0 && m.numClasses() != c.model().numClasses())
            throw new IllegalArgumentException("the classifier " + dir + " knows " + c.model().numClasses() + " classes, the class-conditional run "
                    + m.numClasses() + "; they must be the same classes");
    }

    static boolean sameSchedule(NoiseSchedule a, NoiseSchedule b) {
        if (a.steps() != b.steps()) return false;
        for (int i = 0; i < a.steps(); i++) if (Math.abs(a.alphaBar(i) - b.alphaBar(i)) > 1e-12) return false;
        return true;
    }

    public int numClasses() { return classifier.config().numClasses(); }

    public double scale() { return guidance.scale(); }

    /** {@code sampler} (made from {@code diffusion}, the run's training diffusion) with the guidance applied. */
    public Sampler guided(Sampler sampler, GaussianDiffusion diffusion) {
        return new ClassifierGuidedSampler(sampler, guidance, diffusion.schedule(), diffusion.parameterization());
    }
}
