package dev.diffusion4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoint folders step-NNNNNNN/ under checkpoints/. Each is written complete into a temporary folder and then
 * renamed into place, so a crash (even kill -9) at any moment leaves either the whole new checkpoint or none of
 * it, and the previous ones untouched.
 */
public final class Checkpoints {
    private static final Pattern NAME = Pattern.compile("step-(\\d{7,})");
    private final Path dir;

    Checkpoints(Path dir) { this.dir = dir; }

    public record Entry(long step, Path dir) {}

    @FunctionalInterface
    public interface Contents { void writeInto(Path folder) throws IOException; }

    /** Complete checkpoints, oldest first (temporary folders of interrupted writes are ignored). */
    public List<Entry> list() {
        if (!Files.isDirectory(dir)) return List.of();
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches() && Files.isRegularFile(p.resolve("state.json"))) out.add(new Entry(Long.parseLong(m.group(1)), p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints in " + dir + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparingLong(Entry::step));
        return out;
    }

    public Optional<Entry> latest() {
        List<Entry> l = list();
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(l.size() - 1));
    }

    /** Writes a checkpoint for {@code step} atomically, then deletes all but the newest {@code keep}. */
    public Entry write(long step, int keep, Contents contents) throws IOException {
        Files.createDirectories(dir);
        String name = String.format("step-%07d", step);
        Path tmp = dir.resolve("." + name + ".tmp-" + ProcessHandle.current().pid());
        deleteTree(tmp);
        Files.createDirectories(tmp);
        contents.writeInto(tmp);
        try (Stream<Path> files = Files.list(tmp)) {
            for (Path f : (Iterable<Path>) files::iterator) fsync(f);
        }
        fsync(tmp);
        Path target = dir.resolve(name);
        if (Files.exists(target)) deleteTree(target);      // re-writing the same step after a resume
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        fsync(dir);
        List<Entry> all = list();
        for (int i = 0; i < all.size() - keep; i++) deleteTree(all.get(i).dir());
        cleanStaleTemporaries();
        return new Entry(step, target);
    }

    private void cleanStaleTemporaries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator)
                if (p.getFileName().toString().startsWith(".step-")) deleteTree(p);
        }
    }

    private static void fsync(Path p) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems refuse to open or sync directories; the rename is still atomic
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
