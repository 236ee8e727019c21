package dev.diffusion4j.engine.cuda;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which candidate each timed cuBLASLt plan kept (its index among the heuristic's usable candidates), in a file per
 * device model and library version beside the kernel cache (cuDNN's attention plans keep theirs the same way, in a
 * file of their own): a later process takes the same algorithms without timing them again, so that a resumed run
 * computes the same bits as the run it continues. Lines are "index TAB plan key";
 * the first line for a key wins, and one instance per file is shared by the process's devices (data-parallel ranks on
 * one GPU model take the choice the first of them made). A file that cannot be read or written costs the timing in
 * each process, and with it the same bits across processes.
 */
final class GemmChoices {
    private static final System.Logger LOG = System.getLogger(GemmChoices.class.getName());
    private static final Map<Path, GemmChoices> OPEN = new ConcurrentHashMap<>();

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

    /** The process's instance for {@code file}, read on first use. */
    static GemmChoices of(Path file) { return OPEN.computeIfAbsent(file, GemmChoices::new); }

    /** The file for a device model and cuBLASLt version in {@code directory}. */
    static Path file(Path directory, String deviceName, int computeCapability, long libraryVersion) {
        return file(directory, "cublaslt", deviceName, computeCapability, libraryVersion);
    }

    /** The file for another library's timed choices (cuDNN's attention plans: "cudnn-attention") on a device model. */
    static Path file(Path directory, String library, String deviceName, int computeCapability, long libraryVersion) {
        String device = deviceName.replaceAll("[^A-Za-z0-9]+", "-");
        return directory.resolve(library + "-" + device + "-sm" + computeCapability + "-" + libraryVersion + ".tsv");
    }

    private void read(List<String> lines) {
        for (String line : lines) {
            int tab = line.indexOf('\t');
            if (tab <= 0) continue;
            try {
                choices.putIfAbsent(line.substring(tab + 1), Integer.parseInt(line.substring(0, tab)));
            } catch (NumberFormatException e) {
                // a torn line from a process that stopped mid-write: that plan is timed again
            }
        }
    }

    /** The index kept for {@code key}, or -1. */
    synchronized int get(String key) {
        return choices.getOrDefault(key, -1);
    }

    /** Keeps {@code index} for {@code key} unless a choice is already kept for it; returns the kept one. */
    synchronized int keep(String key, int index) {
        if (key.indexOf('\n') >= 0 || key.indexOf('\t') >= 0) throw new IllegalArgumentException("plan key with a tab or newline: " + key);
        Integer kept = choices.putIfAbsent(key, index);
        if (kept != null) return kept;
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
                // after a torn last line (a process stopped mid-write) start a line of our own
                boolean fresh = ch.size() == 0 || lastByte(ch) == '\n';
                byte[] line = ((fresh ? "" : "\n") + index + "\t" + key + "\n").getBytes(StandardCharsets.UTF_8);
                ch.write(ByteBuffer.wrap(line), ch.size());
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot write " + file + ": " + e);
        }
        return index;
    }

    private static byte lastByte(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1);
        ch.read(b, ch.size() - 1);
        return b.get(0);
    }
}
