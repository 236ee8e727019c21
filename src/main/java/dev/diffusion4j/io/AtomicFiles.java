package dev.diffusion4j.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Replaces a file so that a reader, or the file system after a crash, sees either the old content
 * or the complete new content, never a mix: the bytes go to a temporary file in the same
 * directory, are forced to disk, and the temporary file is renamed over the target.
 */
public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {}

    /** Streams the new content; lets large checkpoints be written without one big array. */
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /** Writes text as UTF-8. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes the body to a temporary file beside the target and renames it over the target. If the
     * body or any step fails, the temporary file is removed and the target is left as it was.
     */
    public static void write(Path target, Body body) throws IOException {
        Path file = target.toAbsolutePath();
        Path dir = file.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(file.toString(), null,
                    "cannot write it: directory " + dir + " does not exist (create it first)");
        }
        if (Files.isDirectory(file)) {
            throw new FileAlreadyExistsException(file.toString(), null, "cannot write it: a directory has this name");
        }
        Path temp = createTemp(dir, file.getFileName().toString());
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(keepOpen(Channels.newOutputStream(ch)), 1 << 16);
                body.writeTo(out);
                out.flush();
                // Data must be on disk before the rename, or a crash could leave the new name empty.
                ch.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot replace " + file + " atomically on this file system: " + e.getMessage(), e);
            }
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved) deleteQuietly(temp);
        }
    }

    /** A new, empty, hidden file next to the target; created with CREATE_NEW so no one else owns it. */
    private static Path createTemp(Path dir, String name) throws IOException {
        byte[] rnd = new byte[6];
        for (int attempt = 0; ; attempt++) {
            RANDOM.nextBytes(rnd);
            Path temp = dir.resolve("." + name + "." + HexFormat.of().formatHex(rnd) + ".tmp");
            try {
                Files.newByteChannel(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) throw e;
            }
        }
    }

    /** The body may close the stream it was given; the channel must stay open for force(). */
    private static OutputStream keepOpen(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); }
            @Override public void close() throws IOException { flush(); }
        };
    }

    /** Makes the rename itself durable; not possible on every platform (e.g. Windows), hence best effort. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // The data itself is already on disk; only the directory entry's durability is at stake.
        }
    }

    private static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // The original error is the one that matters; a stray hidden .tmp file does no harm.
        }
    }
}
