package dev.diffusion4j.train;

import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * history.jsonl in a run folder: one line per resume that changed the run's config, with the checkpoint step it
 * continued from and every changed setting as [old, new]. config.json holds the current settings; this file keeps
 * what they were, and the learning-rate plan of a run whose step budget changed is rebuilt from it.
 */
public final class RunHistory {
    /** On resume from step {@code at}: train to {@code to} steps instead of {@code from}; {@code restart}: a new cosine cycle. */
    public record BudgetChange(long at, long from, long to, boolean restart) {}

    private final Path file;

    RunHistory(Path file) { this.file = file; }

    public Path file() { return file; }

    /** Appends one resume's changes (setting name to [old, new]); nothing is written when there are none. */
    public void append(long step, Map<String, List<Object>> changes, boolean lrRestart) {
        if (changes.isEmpty()) return;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        row.put("resumed_at_step", step);
        row.put("changes", new LinkedHashMap<>(changes));
        if (lrRestart) row.put("lr_restart", true);
        try {
            Files.writeString(file, Json.write(row) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The step-budget changes, oldest first. */
    public List<BudgetChange> budgetChanges() {
        List<BudgetChange> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            try {
                Map<String, Object> row = Json.parseObject(lines.get(i));
                Map<String, Object> changes = Json.getObject(row, "changes");
                if (changes == null || !changes.containsKey("steps")) continue;
                List<?> steps = (List<?>) changes.get("steps");
                out.add(new BudgetChange(Json.requireLong(row, "resumed_at_step"), ((Number) steps.get(0)).longValue(),
                        ((Number) steps.get(1)).longValue(), Json.getBoolean(row, "lr_restart", false)));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + " is damaged (" + e.getMessage()
                        + "); the run's learning-rate plan depends on it: repair the line or remove the file's damaged part by hand");
            }
        }
        return out;
    }
}
