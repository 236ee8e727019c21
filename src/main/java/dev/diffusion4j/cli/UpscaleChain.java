package dev.diffusion4j.cli;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.pipelines.SuperResolutionStage;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.SampleConfig;
import dev.diffusion4j.train.SuperResolutionTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Super-resolution stages run one after another on a batch of images (a cascade): each stage's low resolution must be
 * the size the stage before it delivers, checked when the chain is opened, before any sampling.
 */
final class UpscaleChain {
    record Stage(Path run, SuperResolutionStage stage, double augLevel) {}

    private final List<Stage> stages;

    private UpscaleChain(List<Stage> stages) { this.stages = stages; }

    /**
     * Opens the latest checkpoint of each run; {@code size} and {@code channels} describe the images fed to the first
     * stage (named {@code source} in messages); {@code augLevel} null takes each run's own level.
     */
    static UpscaleChain open(List<Path> runs, String source, int channels, int size, Double augLevel, Device device) {
        List<Stage> out = new ArrayList<>();
        int c = channels, r = size;
        String from = source;
        for (Path p : runs) {
            RunDir run = RunDir.open(p);
            SuperResolutionTask task = SuperResolutionTask.require(run);
            int cc = run.config().model().inChannels(), hi = run.config().model().resolution();
            if (task.lowRes() != r || cc != c)
                throw new IllegalArgumentException("cannot chain " + p + " after " + from + ": it upscales " + task.lowRes() + "x" + task.lowRes()
                        + " images with " + cc + " channel(s) to " + hi + "x" + hi + ", but " + from + " gives " + r + "x" + r + " with " + c
                        + " channel(s); pick the stage trained with --low-res " + r + (cc != c ? " on " + c + "-channel data" : ""));
            SampleConfig sc = run.config().sample();
            out.add(new Stage(p, task.stage(run, RunCheckpoint.dir(run, null), sc, device), augLevel != null ? augLevel : task.sampleAugLevel()));
            from = p.toString();
            r = hi;
        }
        return new UpscaleChain(out);
    }

    List<Stage> stages() { return stages; }

    int outputSize(int inputSize) { return stages.isEmpty() ? inputSize : stages.get(stages.size() - 1).stage().highRes(); }

    /** Sampler steps over all stages for {@code n} images in batches of {@code batch}. */
    long totalSteps(int n, int batch) {
        long batches = (n + batch - 1) / batch, s = 0;
        for (Stage st : stages) s += batches * st.stage().steps();
        return s;
    }

    /**
     * Every stage's output in turn (index 0: the input), on the CPU; {@code onStep} ticks once per sampler step.
     * Batch b of stage k draws its noise from seed + 1000 * (k + 1) + b, so a seed reproduces the chain.
     */
    List<Tensor> run(Tensor images, int batch, long seed, Device device, Runnable onStep) {
        List<Tensor> outs = new ArrayList<>(List.of(images));
        Tensor x = images;
        for (int k = 0; k < stages.size(); k++) {
            Stage st = stages.get(k);
            List<Tensor> parts = new ArrayList<>();
            for (int b = 0; b * batch < x.shape(0); b++) {
                Tensor low = x.slice(0, b * batch, Math.min(x.shape(0), (b + 1) * batch)).to(device);
                parts.add(st.stage().upscale(low, st.augLevel(), new Generator(seed + 1000L * (k + 1) + b), s -> onStep.run()).to(Device.CPU));
            }
            x = Tensor.cat(0, parts.toArray(new Tensor[0]));
            outs.add(x);
        }
        return outs;
    }
}
