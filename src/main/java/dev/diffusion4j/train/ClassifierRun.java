package dev.diffusion4j.train;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.NoisyClassifier;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A noisy-classifier run folder: config.json, metrics.jsonl, checkpoints/step-N/ (as a diffusion run's, see {@link Checkpoints}). */
public final class ClassifierRun {
    private final Path root;

    private ClassifierRun(Path root) { this.root = root; }

    public static boolean isClassifierRun(Path dir) {
        try {
            return Files.isRegularFile(dir.resolve("config.json"))
                    && ClassifierRunConfig.FORMAT.equals(Json.parseObject(Files.readString(dir.resolve("config.json"))).get("format"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** A new run folder; one that holds a checkpoint is refused (continue it with --resume). */
    public static ClassifierRun create(Path root, ClassifierRunConfig cfg) {
        ClassifierRun run = new ClassifierRun(root);
        if (Files.exists(root.resolve("config.json")) && !isClassifierRun(root))
            throw new IllegalArgumentException(root + " holds another kind of run (its config.json is not a classifier's); choose another --out");
        var latest = run.checkpoints().latest();
        if (latest.isPresent())
            throw new IllegalArgumentException(root + " already holds a run (checkpoint at step " + latest.get().step() + "); continue it with --resume, or choose another --out");
        try {
            Files.createDirectories(root);
            AtomicFiles.writeString(root.resolve("config.json"), Json.writePretty(cfg.toJson()) + "\n");
            Files.deleteIfExists(run.metricsFile());    // a run that never reached a checkpoint starts afresh
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + root + ": " + e.getMessage(), e);
        }
        return run;
    }

    /** An existing classifier run; a missing folder or another kind of run is refused with how to make one. */
    public static ClassifierRun open(Path root) {
        if (!isClassifierRun(root))
            throw new IllegalArgumentException(root + " is not a classifier run; train one with " + Invocation.command() + " train-classifier --run BASE_RUN --out " + Invocation.quote(root));
        return new ClassifierRun(root);
    }

    public Path root() { return root; }
    public Path metricsFile() { return root.resolve("metrics.jsonl"); }
    public Checkpoints checkpoints() { return new Checkpoints(root.resolve("checkpoints")); }
    public ClassifierRunConfig config() { return ClassifierRunConfig.read(root.resolve("config.json")); }

    public void writeConfig(ClassifierRunConfig cfg) {
        try {
            AtomicFiles.writeString(root.resolve("config.json"), Json.writePretty(cfg.toJson()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + root.resolve("config.json") + ": " + e.getMessage(), e);
        }
    }

    /** The classifier of the latest checkpoint, in eval mode on {@code device}. */
    public NoisyClassifier loadModel(Device device) {
        var latest = checkpoints().latest().orElseThrow(() -> new IllegalArgumentException(root + " has no checkpoint yet; its train-classifier run did not get that far"));
        NoisyClassifier m = new NoisyClassifier(config().model(), new Generator(0));
        Path f = latest.dir().resolve("model.safetensors");
        try {
            StateDicts.loadModel(f, m, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
        m.to(device);
        m.eval();
        return m;
    }
}
