package dev.diffusion4j.train.dashboard;

import dev.diffusion4j.train.RunLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The run folders a dashboard shows: the folder given, when it is a run (holds config.json), else every run folder up
 * to two levels below it (runs/shapes, runs/sweep/lr-1e-3). A run's earlier attempts that {@code diffuse train} set
 * aside (previous-*) are not runs of their own. Scanned on each request, so runs started later appear.
 */
public final class RunFolders {
    private static final int DEPTH = 2;
    private final Path root;

    public RunFolders(Path root) { this.root = root.toAbsolutePath().normalize(); }

    public Path root() { return root; }

    /** Run name (its path below the root, with '/'; the root's own name when the root is a run) to its folder, by name. */
    public Map<String, Path> list() {
        Map<String, Path> out = new TreeMap<>();
        if (isRun(root)) {
            out.put(root.getFileName() == null ? "run" : root.getFileName().toString(), root);
            return out;
        }
        scan(root, 0, out);
        return out;
    }

    /** The folder of the run called {@code name}, or null when there is no such run (names are never resolved as paths). */
    public Path find(String name) { return name == null ? null : list().get(name); }

    private void scan(Path dir, int depth, Map<String, Path> out) {
        if (depth >= DEPTH) return;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                if (!Files.isDirectory(p) || p.getFileName().toString().startsWith("previous-") || p.getFileName().toString().startsWith(".")) continue;
                if (isRun(p)) out.put(root.relativize(p).toString().replace('\\', '/'), p);
                else scan(p, depth + 1, out);
            }
        } catch (IOException e) {
            // an unreadable folder holds no runs we can show
        }
    }

    /**
     * A run folder: config.json beside what a trainer leaves from its start (its lock, metrics or checkpoints). A
     * diffusers folder written by diffuse export also holds a config.json, but no training: it is not listed.
     */
    static boolean isRun(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json")) && (Files.exists(dir.resolve(RunLock.FILE))
                || Files.exists(dir.resolve("metrics.jsonl")) || Files.isDirectory(dir.resolve("checkpoints")));
    }

    /** The short lines of every run. */
    public java.util.List<Map<String, Object>> summaries() {
        java.util.List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (var e : list().entrySet()) out.add(new LinkedHashMap<>(RunView.summary(e.getKey(), e.getValue())));
        return out;
    }
}
