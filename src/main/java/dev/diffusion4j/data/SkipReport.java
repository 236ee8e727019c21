package dev.diffusion4j.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The one summary line about the files of an image folder that were not used: counts by cause
 * ("2 truncated, 1 too large, 3 other files"), then the first few files named with their
 * cause, so a user sees what was skipped and why without a line per file.
 */
final class SkipReport {
    static final int MAX_NAMED = 5;

    private final Path root;
    private final Map<ImageDecoder.Problem, Integer> counts = new EnumMap<>(ImageDecoder.Problem.class);
    private final List<String> named = new ArrayList<>();
    private int refused;
    private int otherFiles;
    private List<String> otherExamples = List.of();

    SkipReport(Path root) {
        this.root = root;
    }

    void add(Path file, ImageDecoder.Failure f) {
        counts.merge(f.problem(), 1, Integer::sum);
        if (refused++ < MAX_NAMED) named.add(root.relativize(file) + " (" + f.describe() + ")");
    }

    /** Files that do not have an image extension at all. */
    void addOtherFiles(int count, List<String> examples) {
        otherFiles = count;
        otherExamples = examples;
    }

    /** Image files refused by the decoder. */
    int refused() { return refused; }

    int total() { return refused + otherFiles; }

    /** "2 truncated, 1 too large, 3 other files (not images, e.g. a.txt)" */
    String counts() {
        List<String> parts = new ArrayList<>();
        counts.forEach((p, n) -> parts.add(n + " " + p.label));
        if (otherFiles > 0) {
            parts.add(otherFiles + (otherFiles == 1 ? " other file" : " other files") + " (not images, e.g. "
                    + String.join(", ", otherExamples) + ")");
        }
        return String.join(", ", parts);
    }

    /** The first refused files with their causes. */
    String examples() {
        return String.join("; ", named) + (refused > MAX_NAMED ? "; and " + (refused - MAX_NAMED) + " more" : "");
    }

    /** The warning line, or null if nothing was skipped. */
    String line(int filesSeen) {
        if (total() == 0) return null;
        return "skipped " + total() + " of " + filesSeen + " files under " + root + ": " + counts()
                + (refused > 0 ? "; " + examples() + "; remove, re-save or re-download them to silence this warning" : "");
    }
}
