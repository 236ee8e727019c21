package dev.diffusion4j.train;

import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * metrics.jsonl: one JSON object per logged step (step, time, loss, lr, grad_norm, img_per_s, ...). "time" is when the
 * line was written, ISO-8601 in UTC with milliseconds (e.g. {@code "2026-12-05T14:20:01.123Z"}); lines of older runs
 * have none, so readers take it through {@link #time}. A line that is not a
 * JSON object with a numeric "step" (a torn write after a crash, a hand edit) is damaged: readers skip it, and a
 * resume moves it, with the rows past the checkpoint it continues from, into metrics.set-aside.jsonl. No line is
 * ever deleted.
 */
public final class MetricsLog implements AutoCloseable {
    private final Path file;
    private BufferedWriter out;

    public MetricsLog(Path file) { this.file = file; }

    /** Where {@link #rewindTo} moves the lines it takes out of {@code metricsFile}. */
    public static Path setAsideFile(Path metricsFile) { return metricsFile.resolveSibling("metrics.set-aside.jsonl"); }

    /** Every intact row of a metrics file, in file order; damaged lines are skipped, rows after them kept. */
    public static List<Map<String, Object>> read(Path file) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : lines(file)) {
            Map<String, Object> row = parse(line);
            if (row != null) rows.add(row);
        }
        return rows;
    }

    /**
     * Makes the log end at {@code step}, where a resumed run continues: damaged lines and rows past that step are
     * appended to {@link #setAsideFile} and the rest kept as they were, byte for byte. Returns how many lines moved.
     */
    public int rewindTo(long step) {
        List<String> keep = new ArrayList<>(), aside = new ArrayList<>();
        List<String> all = lines(file);
        for (String line : all) {
            if (line.isBlank()) continue;
            Map<String, Object> row = parse(line);
            (row != null && ((Number) row.get("step")).longValue() <= step ? keep : aside).add(line);
        }
        if (aside.isEmpty() && keep.size() == all.size() && endsWithNewline()) return 0;
        try {
            if (!aside.isEmpty())
                Files.writeString(setAsideFile(file), String.join("\n", aside) + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            AtomicFiles.writeString(file, keep.isEmpty() ? "" : String.join("\n", keep) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + file + ": " + e.getMessage(), e);
        }
        return aside.size();
    }

    /** The key of a row's wall-clock time. */
    public static final String TIME = "time";

    /**
     * Writes {@code row} as one line, with "time" (now) after "step" unless the row has a time already; returns the
     * row as written.
     */
    public Map<String, Object> append(Map<String, Object> row) {
        Map<String, Object> stamped = stamped(row, Instant.now());
        try {
            if (out == null) out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            out.write(Json.write(stamped));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return stamped;
    }

    /** {@code row} with "time" set to {@code now} right after "step" (kept as given when the row has one). */
    static Map<String, Object> stamped(Map<String, Object> row, Instant now) {
        if (row.containsKey(TIME)) return new LinkedHashMap<>(row);
        Map<String, Object> m = new LinkedHashMap<>();
        if (row.containsKey("step")) m.put("step", row.get("step"));
        m.put(TIME, format(now));
        m.putAll(row);
        return m;
    }

    /** ISO-8601 UTC with milliseconds, the form of "time". */
    public static String format(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.MILLIS));
    }

    /** When a row was written, or empty for a line of an older run (or a time that does not parse). */
    public static Optional<Instant> time(Map<String, Object> row) {
        if (!(row.get(TIME) instanceof String s)) return Optional.empty();
        try {
            return Optional.of(Instant.parse(s));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    @Override public void close() {
        try {
            if (out != null) out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The row a line holds, or null when the line is damaged. */
    private static Map<String, Object> parse(String line) {
        if (line.isBlank()) return null;
        try {
            Map<String, Object> row = Json.parseObject(line);
            return row.get("step") instanceof Number ? row : null;
        } catch (RuntimeException damaged) {
            return null;
        }
    }

    private static List<String> lines(Path file) {
        if (!Files.exists(file)) return List.of();
        try {
            // bytes that are not UTF-8 make a damaged line, not a failed read
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private boolean endsWithNewline() {
        try {
            if (!Files.exists(file) || Files.size(file) == 0) return true;
            try (var ch = java.nio.channels.FileChannel.open(file)) {
                var b = java.nio.ByteBuffer.allocate(1);
                ch.read(b, ch.size() - 1);
                return b.get(0) == '\n';
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
