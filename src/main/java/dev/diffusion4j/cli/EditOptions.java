package dev.diffusion4j.cli;

import dev.diffusion4j.engine.Device;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The options every {@code diffuse edit} subcommand shares: which run, which images, where to write, the class. */
final class EditOptions {
    @Parameters(paramLabel = "IMAGE", arity = "1..*",
            description = "Input images (PNG or JPEG; transparency is composited over white), each the model's size and channel count.")
    List<Path> images;

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "Training run folder (written by diffuse train); its EMA weights are used.")
    Path run;

    @Option(names = "--checkpoint", paramLabel = "STEP", description = "Checkpoint step to use. Default: the latest.")
    Long checkpoint;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the results. Default: <run>/edits.")
    Path out;

    @Option(names = "--resize", description = "Accept images of another size: scale the shorter side to the model's size and crop the centre "
            + "(as the training data was prepared). Without it such images are refused.")
    boolean resize;

    @Option(names = "--class", paramLabel = "K|none",
            description = "Class-conditional runs: steer towards class K, or 'none' (the model's learned 'no class'). Default: none.")
    String label;

    @Option(names = "--guidance", paramLabel = "W",
            description = "Classifier-free guidance scale with --class (1 = plain conditional, larger = more typical of the class). Default: the run's (3), for invert 1.")
    Double guidance;

    @Option(names = "--steps", paramLabel = "N", description = "Sampler steps of a full run from noise. Default: the run's (25 for new runs).")
    Integer steps;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of the noise. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "16", description = "Images edited at once. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--grid-scale", paramLabel = "N",
            description = "Enlarge each picture N times in the side-by-side PNG, nearest neighbour (0 = auto: cells of at least 64 pixels). Default: 0.")
    Integer gridScale;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto. Default: ${DEFAULT-VALUE}.")
    String device;

    /** Checks the shared options (usage errors, exit 2) and returns the device. */
    Device check(OptionChecks c) {
        if (checkpoint != null) c.atLeast("--checkpoint", checkpoint, 0);
        c.between("--batch-size", batchSize, 1, TrainCommand.MAX_BATCH);
        if (steps != null) c.between("--steps", steps, 1, TrainCommand.MAX_SAMPLE_STEPS);
        if (guidance != null) c.nonNegative("--guidance", guidance)
                .require(label != null && !"none".equalsIgnoreCase(label.trim()), "--guidance needs --class K: guidance steers towards a class");
        if (gridScale != null) c.between("--grid-scale", gridScale, 0, 32);
        if (out != null) c.outputFolder("--out", out);
        Map<String, Path> stems = new HashMap<>();
        for (Path p : images) {
            Path before = stems.put(EditOutputs.stem(p), p);
            c.require(before == null, "two input images share the name '" + EditOutputs.stem(p) + "' (" + before + ", " + p
                    + "), so their results would overwrite each other; rename one");
        }
        return c.device("--device", device);
    }
}
