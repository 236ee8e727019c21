package dev.diffusion4j.engine.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which of the heuristic's candidates each timed cuBLASLt plan kept (its index in the heuristic's list), in a file per
 * device model and library version beside the kernel cache: a later process takes the same algorithms without timing
 * them again, so that a resumed run computes the same bits as the run it continues. Lines are "index TAB plan key";
 * a file that cannot be read or written only costs the timing.
 */
final class GemmChoices {
    private static final System.Logger LOG = System.getLogger(GemmChoices.class.getName());

    private final Path file;
    private final Map<String, Integer> choices = new HashMap<>();

    GemmChoices(Path file) {
        this.file = file;
        try {
            if (Files.isRegularFile(file)) read(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot read " + file + ": " + e);
        }
    }

    /** The file for a device model and cuBLASLt version in {@code directory}. */
    static Path file(Path directory, String deviceName, int computeCapability, long libraryVersion) {
        String device = deviceName.replaceAll("[^A-Za-z0-9]+", "-");
        return directory.resolve("cublaslt-" + device + "-sm" + computeCapability + "-" + libraryVersion + ".tsv");
    }

    private void read(List<String> lines) {
        for (String line : lines) {
            int tab = line.indexOf('\t');
            if (tab <= 0) continue;
            try {
                choices.put(line.substring(tab + 1), Integer.parseInt(line.substring(0, tab)));
            } catch (NumberFormatException e) {
                // a torn line from a process that stopped mid-write: that plan is timed again
            }
        }
    }

    /** The index kept for {@code key}, or -1. */
    synchronized int get(String key) {
        return choices.getOrDefault(key, -1);
    }

    synchronized void put(String key, int index) {
        if (key.indexOf('\n') >= 0 || key.indexOf('\t') >= 0) throw new IllegalArgumentException("plan key with a tab or newline: " + key);
        if (Integer.valueOf(index).equals(choices.put(key, index))) return;
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, index + "\t" + key + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot write " + file + ": " + e);
        }
    }
}
