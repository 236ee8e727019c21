package dev.diffusion4j.train;

import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A training run's folder: config.json, metrics.jsonl, report.html, samples/ (PNG grids), checkpoints/.
 * Everything a later command needs (resume, sample, eval) is found from the folder alone.
 */
public final class RunDir {
    private final Path root;

    private RunDir(Path root) { this.root = root; }

    /** Opens an existing run folder (must hold a config.json). */
    public static RunDir open(Path root) {
        if (Files.exists(root) && !Files.isDirectory(root))
            throw new IllegalArgumentException(root + " is a file, not a run folder; point at the folder diffuse train wrote");
        if (!Files.isDirectory(root)) throw new IllegalArgumentException("run folder " + root + " does not exist; train one with: " + Invocation.command() + " train --out " + Invocation.quote(root));
        if (!Files.isRegularFile(root.resolve("config.json")))
            throw new IllegalArgumentException(root + " is not a training run (no config.json); point at the folder diffuse train wrote");
        return new RunDir(root);
    }

    /** Creates the folder for a new run, refusing to overwrite an existing one. */
    public static RunDir create(Path root, TrainConfig config) { return create(root, config, note -> {}); }

    /**
     * Creates the folder for a new run. A folder holding a run with a checkpoint is refused; one whose run never reached
     * a checkpoint is started afresh, its earlier config, metrics and history moved into a previous-* sub-folder
     * (reported to {@code notes}), never deleted. The caller holds the folder's {@link RunLock}.
     */
    public static RunDir create(Path root, TrainConfig config, Consumer<String> notes) {
        return create(root, config.toJson(), notes);
    }

    /** As {@link #create(Path, TrainConfig, Consumer)} for any run kind's config.json content (e.g. an autoencoder run's). */
    public static RunDir create(Path root, java.util.Map<String, Object> configJson, Consumer<String> notes) {
        RunDir existing = new RunDir(root);
        var latest = existing.checkpoints().latest();
        if (latest.isPresent())
            throw new IllegalArgumentException(root + " already holds a run (checkpoint at step " + latest.get().step()
                    + "); continue it with --resume, or choose another --out");
        try {
            Path aside = existing.setAsideUnfinished();
            if (aside != null) notes.accept(root + " held a run with no checkpoint; starting afresh (its earlier files moved to " + aside + ")");
            Files.createDirectories(root.resolve("samples"));
            Files.createDirectories(root.resolve("checkpoints"));
            AtomicFiles.writeString(root.resolve("config.json"), Json.writePretty(configJson) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create run folder " + root + ": " + e.getMessage(), e);
        }
        return new RunDir(root);
    }

    /** Moves the files of a run that never wrote a checkpoint into previous-TIME/; returns that folder, or null if none. */
    private Path setAsideUnfinished() throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path f : List.of(configFile(), metricsFile(), historyFile(), MetricsLog.setAsideFile(metricsFile())))
            if (Files.exists(f)) files.add(f);
        if (files.isEmpty()) return null;
        String base = "previous-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
        Path aside = root.resolve(base);
        for (int i = 2; Files.exists(aside); i++) aside = root.resolve(base + "-" + i);
        Files.createDirectories(aside);
        for (Path f : files) Files.move(f, aside.resolve(f.getFileName()));
        return aside;
    }

    /** Takes the folder's exclusive writer lock (see {@link RunLock}). */
    public RunLock lock() { return RunLock.acquire(root); }

    public Path root() { return root; }
    public Path historyFile() { return root.resolve("history.jsonl"); }
    public RunHistory history() { return new RunHistory(historyFile()); }
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

    /** Rewrites config.json (a resumed run's changed settings; {@link RunHistory} keeps the old values). */
    public void writeConfig(TrainConfig config) {
        try {
            AtomicFiles.writeString(configFile(), Json.writePretty(config.toJson()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configFile() + ": " + e.getMessage(), e);
        }
    }

    public Checkpoints checkpoints() { return new Checkpoints(checkpointsDir()); }
}
