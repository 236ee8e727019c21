package dev.diffusion4j.train.dashboard;

import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
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
 * launches.jsonl in a run folder: one line per {@code diffuse train} start or resume, with what the folder does not
 * otherwise keep: the command line, the program version, Java version, host and device, and the class names of the
 * data when known. The dashboard shows the newest; nothing else reads it, so a damaged line is skipped.
 */
public final class Launches {
    public static final String FILE = "launches.jsonl";

    private Launches() {}

    /** Appends this process's launch; {@code classNames} may be null (classes then show as their numbers). */
    public static void append(Path runRoot, String command, String device, List<String> classNames) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        row.put("command", command);
        row.put("version", BuildInfo.version());
        row.put("java", Runtime.version().toString() + " (" + System.getProperty("java.vendor", "?") + ")");
        row.put("host", host());
        row.put("pid", ProcessHandle.current().pid());
        row.put("device", device);
        if (classNames != null && !classNames.isEmpty()) row.put("class_names", List.copyOf(classNames));
        try {
            Files.writeString(runRoot.resolve(FILE), Json.write(row) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + runRoot.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /** Every intact launch of the run, oldest first. */
    public static List<Map<String, Object>> read(Path runRoot) {
        Path f = runRoot.resolve(FILE);
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.isRegularFile(f)) return out;
        try {
            for (String line : new String(Files.readAllBytes(f), StandardCharsets.UTF_8).lines().toList()) {
                if (line.isBlank()) continue;
                try {
                    out.add(Json.parseObject(line));
                } catch (RuntimeException damaged) {
                    // a torn last line after a crash: the earlier launches still show
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }
}
