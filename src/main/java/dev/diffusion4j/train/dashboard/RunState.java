package dev.diffusion4j.train.dashboard;

import dev.diffusion4j.train.RunLock;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a run folder is being trained, finished, or stopped short, read from what {@code diffuse train} leaves in it
 * without touching its lock (taking the lock even for a moment could make a starting trainer refuse the folder):
 * <ul>
 * <li>{@link Kind#TRAINING}: train.lock names a process that is alive (on this host; a lock from another host is
 *     taken as held, as it cannot be checked from here).</li>
 * <li>{@link Kind#FINISHED}: no live holder, and a complete checkpoint at the config's last step exists (the trainer
 *     always writes one there; a resume with more --steps makes the run unfinished again).</li>
 * <li>{@link Kind#INTERRUPTED}: no live holder, not finished, and train.lock still names the process: it ended without
 *     releasing the lock (killed, Ctrl-C, power loss, JVM crash).</li>
 * <li>{@link Kind#STOPPED}: no live holder, not finished, train.lock empty: the trainer released the lock and ended
 *     early (an error such as a diverged loss or running out of memory), or never started.</li>
 * </ul>
 */
public record RunState(Kind kind, String detail) {
    public enum Kind {
        TRAINING, FINISHED, INTERRUPTED, STOPPED;

        public String id() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    private static final Pattern OWNER = Pattern.compile("pid (\\d+) on (.+?), started (\\S+)");

    /**
     * The state of the run in {@code root}, whose config asks for {@code totalSteps} and whose newest complete
     * checkpoint is at {@code checkpointStep} (-1 when none).
     */
    public static RunState of(Path root, long totalSteps, long checkpointStep) {
        String owner = lockText(root.resolve(RunLock.FILE));
        if (!owner.isEmpty()) {
            Optional<String> live = liveHolder(owner);
            if (live.isPresent()) return new RunState(Kind.TRAINING, live.get());
        }
        if (checkpointStep >= totalSteps) return finished(checkpointStep);
        String at = checkpointStep < 0 ? "no checkpoint yet" : "last checkpoint at step " + checkpointStep + " of " + totalSteps;
        if (!owner.isEmpty())
            return new RunState(Kind.INTERRUPTED, "interrupted (killed, Ctrl-C or crashed): train.lock still names " + owner
                    + ", which is gone; " + at + "; continue with --resume");
        return new RunState(Kind.STOPPED, "stopped before its last step (the trainer ended early, e.g. on an error); " + at
                + (checkpointStep < 0 ? "" : "; continue with --resume"));
    }

    /** A run whose newest complete checkpoint, at {@code checkpointStep}, is at or past its last step. */
    static RunState finished(long checkpointStep) {
        return new RunState(Kind.FINISHED, "finished: checkpoint at its last step " + checkpointStep);
    }

    /** "pid N on HOST" when the owner text names a process that still runs (or one that cannot be checked from here). */
    static Optional<String> liveHolder(String owner) {
        Matcher m = OWNER.matcher(owner);
        if (!m.find()) return Optional.of("train.lock held (" + owner + ")");   // a format this reader does not know: trust it
        long pid = Long.parseLong(m.group(1));
        String host = m.group(2);
        if (!host.equals(localHost())) return Optional.of("training on " + host + " (pid " + pid + "; cannot be checked from this host)");
        boolean alive = pid == ProcessHandle.current().pid()
                || ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(RunState::mayBeJava).isPresent();
        return alive ? Optional.of("training: pid " + pid + " on " + host + ", started " + m.group(3)) : Optional.empty();
    }

    /** A reused pid that now runs another program is not the trainer; an unknown command is given the benefit of the doubt. */
    private static boolean mayBeJava(ProcessHandle p) {
        return p.info().command().map(c -> c.contains("java")).orElse(true);
    }

    private static String lockText(Path file) {
        try {
            if (!Files.isRegularFile(file)) return "";
            byte[] b = Files.readAllBytes(file);
            return new String(b, 0, Math.min(b.length, 4096), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static String localHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }
}
