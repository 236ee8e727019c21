package dev.diffusion4j.train;

import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A training run's folder: config.json, metrics.jsonl, report.html, samples/ (PNG grids), checkpoints/.
 * Everything a later command needs (resume, sample, eval) is found from the folder alone.
 */
public final class RunDir {
    private final Path root;

    private RunDir(Path root) { this.root = root; }

    /** Opens an existing run folder (must hold a config.json). */
    public static RunDir open(Path root) {
        if (!Files.isDirectory(root)) throw new IllegalArgumentException("run folder " + root + " does not exist; train one with: diffuse train --out " + root);
        if (!Files.isRegularFile(root.resolve("config.json")))
            throw new IllegalArgumentException(root + " is not a training run (no config.json); point at the folder diffuse train wrote");
        return new RunDir(root);
    }

    /** Creates the folder for a new run, refusing to overwrite an existing one. */
    public static RunDir create(Path root, TrainConfig config) {
        if (Files.exists(root.resolve("config.json")))
            throw new IllegalArgumentException(root + " already holds a run; continue it with --resume, or choose another --out");
        try {
            Files.createDirectories(root.resolve("samples"));
            Files.createDirectories(root.resolve("checkpoints"));
            AtomicFiles.writeString(root.resolve("config.json"), Json.writePretty(config.toJson()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create run folder " + root + ": " + e.getMessage(), e);
        }
        return new RunDir(root);
    }

    public Path root() { return root; }
    public Path configFile() { return root.resolve("config.json"); }
    public Path metricsFile() { return root.resolve("metrics.jsonl"); }
    public Path reportFile() { return root.resolve("report.html"); }
    public Path samplesDir() { return root.resolve("samples"); }
    public Path checkpointsDir() { return root.resolve("checkpoints"); }
    public Path gridFor(long step) { return samplesDir().resolve(String.format("step-%07d.png", step)); }

    /** The run's config.json, read strictly (a problem names the file and the key). */
    public TrainConfig config() {
        return TrainConfig.read(configFile());
    }

    /** Rewrites config.json (e.g. a resumed run given a larger step budget). */
    public void writeConfig(TrainConfig config) {
        try {
            AtomicFiles.writeString(configFile(), Json.writePretty(config.toJson()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configFile() + ": " + e.getMessage(), e);
        }
    }

    public Checkpoints checkpoints() { return new Checkpoints(checkpointsDir()); }
}
