package dev.diffusion4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The one writer of a run folder. An operating-system lock on {@code train.lock} decides who writes (the system drops
 * it when its process dies, even by kill -9); the file's text names the holder (pid, host, start time) for the
 * refusal message. The file is emptied, never deleted, on release: deleting it would let a waiting process lock a
 * file no longer in the folder. Text left in a file whose lock was free is a stale lock from a crash: taken over.
 */
public final class RunLock implements AutoCloseable {
    public static final String FILE = "train.lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final String staleOwner;

    private RunLock(Path file, FileChannel channel, FileLock lock, String staleOwner) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.staleOwner = staleOwner;
    }

    /** Locks {@code root} (created if missing) for this process, or refuses naming the process that holds it. */
    public static RunLock acquire(Path root) {
        Path file = root.resolve(FILE);
        FileChannel ch = null;
        try {
            Files.createDirectories(root);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException sameProcess) {
                lock = null;
            }
            if (lock == null) {
                String owner = read(ch);
                ch.close();
                throw new RunInUseException(root + " is being trained by another process (" + (owner.isEmpty() ? "owner unknown" : owner)
                        + "); wait for it to finish or stop it, or train into another --out");
            }
            String stale = read(ch);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(describe(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(true);
            return new RunLock(file, ch, lock, stale.isEmpty() ? null : stale);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new UncheckedIOException("cannot lock run folder " + root + ": " + reason(e), e);
        }
    }

    /** Who held the lock before a crash (the text it left), or null when the lock was free and clean. */
    public String staleOwner() { return staleOwner; }

    public Path file() { return file; }

    @Override public void close() {
        try {
            channel.truncate(0);
            lock.release();
        } catch (IOException e) {
            // the lock goes with the channel; an unemptied file only reads as stale later
        } finally {
            closeQuietly(channel);
        }
    }

    static String describe(long pid) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host";
        }
        return "pid " + pid + " on " + host + ", started " + Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    private static String read(FileChannel ch) throws IOException {
        long size = Math.min(ch.size(), 4096);
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) { /* fill */ }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException a) return "permission denied on " + a.getFile();
        if (e instanceof java.nio.file.FileAlreadyExistsException f) return f.getFile() + " exists and is not a folder";
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getFile() + ": " + f.getReason();
        return e.getMessage();
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            if (ch != null) ch.close();
        } catch (IOException ignored) {
            // nothing to release
        }
    }

    /** Another process trains this run folder. */
    public static final class RunInUseException extends RuntimeException {
        RunInUseException(String message) { super(message); }
    }
}
