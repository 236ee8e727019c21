package dev.diffusion4j.train;

import dev.diffusion4j.io.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** metrics.jsonl: one JSON object per logged step (step, loss, lr, grad_norm, img_per_s, ...). */
public final class MetricsLog implements AutoCloseable {
    private final Path file;
    private BufferedWriter out;

    public MetricsLog(Path file) { this.file = file; }

    /** Every complete line of a metrics file, parsed (a torn last line after a crash is skipped). */
    public static List<Map<String, Object>> read(Path file) {
        List<Map<String, Object>> rows = new ArrayList<>();
        if (!Files.exists(file)) return rows;
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                try {
                    rows.add(Json.parseObject(line));
                } catch (RuntimeException torn) {
                    // an interrupted write: everything after it belongs to no checkpoint anyway
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return rows;
    }

    /** Drops lines past {@code step} so a resumed run's log continues exactly where its checkpoint left off. */
    public void truncateAfter(long step) {
        List<Map<String, Object>> keep = new ArrayList<>();
        for (Map<String, Object> r : read(file)) if (((Number) r.get("step")).longValue() <= step) keep.add(r);
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> r : keep) sb.append(Json.write(r)).append('\n');
        try {
            dev.diffusion4j.io.AtomicFiles.writeString(file, sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + file + ": " + e.getMessage(), e);
        }
    }

    public void append(Map<String, Object> row) {
        try {
            if (out == null) out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            out.write(Json.write(new LinkedHashMap<>(row)));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override public void close() {
        try {
            if (out != null) out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
