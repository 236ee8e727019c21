package dev.diffusion4j.cli;

import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.train.SuperResolutionTask;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code diffuse train}'s options for a super-resolution stage of a cascade (--task super-resolution --low-res N). */
public final class SuperResolutionOptions {
    static final String DIFFUSION = "diffusion", SUPER_RESOLUTION = "super-resolution";

    @Option(names = "--task", paramLabel = "T", defaultValue = DIFFUSION,
            description = "diffusion (generate images) or super-resolution (a cascade stage: learns to turn the data's images, area-downsampled to "
                    + "--low-res, back into full size; see docs/super-resolution.md). Default: ${DEFAULT-VALUE}.")
    String task;

    @Option(names = "--low-res", paramLabel = "N", description = "With --task super-resolution: side of the low-resolution input (divides --image-size).")
    Integer lowRes;

    @Option(names = "--aug-max-level", paramLabel = "L", defaultValue = "" + SuperResolutionTask.DEFAULT_MAX_AUG,
            description = "With --task super-resolution: training noises the low-resolution input at levels drawn uniformly from [0, L] "
                    + "(0 clean, 1 pure noise). Default: ${DEFAULT-VALUE}.")
    double augMaxLevel;

    boolean superResolution() { return SUPER_RESOLUTION.equalsIgnoreCase(task); }

    /** The option combinations that cannot work, before anything is read. */
    void validate(OptionChecks c, ModelConfig preset, int imageSize, Boolean classConditional, TrainEvalOptions eval) {
        c.oneOf("--task", task, List.of(DIFFUSION, SUPER_RESOLUTION));
        if (!superResolution()) {
            c.require(lowRes == null, "--low-res needs --task super-resolution");
            c.absent("--aug-max-level", "--aug-max-level needs --task super-resolution");
            return;
        }
        c.require(lowRes != null, "--task super-resolution needs --low-res N, the side of the low-resolution input (e.g. --low-res 16 for 16 -> 32)");
        c.require(preset instanceof UNetConfig, "--task super-resolution needs a U-Net preset (e.g. --preset tiny), not the DiT '" + preset.arch() + "'");
        c.between("--low-res", lowRes, 1, imageSize - 1)
         .require(imageSize % lowRes == 0, "--low-res " + lowRes + " must divide the image size " + imageSize + " (e.g. --image-size " + 2 * lowRes + ")")
         .unitInterval("--aug-max-level", augMaxLevel)
         .require(!Boolean.TRUE.equals(classConditional), "--task super-resolution trains an unconditional stage; drop --class-conditional")
         .require(eval.every == 0, "--eval-every measures generated images; it does not apply to --task super-resolution");
    }

    /** The model for the task: a super-resolution stage reads the low-resolution image beside x_t. */
    ModelConfig model(ModelConfig m) {
        return superResolution() ? ((UNetConfig) m).withLowResChannels(m.inChannels()) : m;
    }

    /** What to run after training a stage: upscale a few of the training images, or chain it after a base run. */
    static String nextHint(java.nio.file.Path out) {
        String d = dev.diffusion4j.train.Invocation.command();
        return d + " upscale --run " + dev.diffusion4j.train.Invocation.quote(out) + " --input " + dev.diffusion4j.train.Invocation.quote(out.resolve(SuperResolutionTask.EXAMPLES)) + "   (or chain it: " + d
                + " sample --run BASE_RUN --upscale " + dev.diffusion4j.train.Invocation.quote(out) + ")";
    }

    /** The task to record in the run folder, or null for plain diffusion. */
    SuperResolutionTask taskConfig() {
        return superResolution() ? new SuperResolutionTask(lowRes, augMaxLevel, SuperResolutionTask.DEFAULT_SAMPLE_AUG) : null;
    }
}
