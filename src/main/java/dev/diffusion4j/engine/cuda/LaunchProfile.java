package dev.diffusion4j.engine.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Opt-in counts of what the host queues (property {@code diffusion4j.cuda.profile=true}): kernel launches and
 * library calls by name with the host time spent in each call, and forced collections with their time, printed to
 * stderr when the JVM exits. It answers "how many launches does a step make, and where does host time go" without
 * an external profiler. Off, it costs one static-final branch per launch.
 */
final class LaunchProfile {
    static final boolean ENABLED = Boolean.getBoolean("diffusion4j.cuda.profile");

    private static final Map<String, long[]> CALLS = new HashMap<>();   // name -> {count, host nanos}

    static {
        if (ENABLED) Runtime.getRuntime().addShutdownHook(new Thread(LaunchProfile::print, "diffusion4j-cuda-profile"));
    }

    private LaunchProfile() {}

    /** Records one call of {@code name} that took {@code nanos} on the host. */
    static synchronized void record(String name, long nanos) {
        long[] c = CALLS.computeIfAbsent(name, k -> new long[2]);
        c[0]++;
        c[1] += nanos;
    }

    private static synchronized void print() {
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(CALLS.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        long calls = 0, nanos = 0;
        for (var e : rows) { calls += e.getValue()[0]; nanos += e.getValue()[1]; }
        StringBuilder sb = new StringBuilder(String.format("cuda profile: %d calls, %.1f ms host time in them%n", calls, nanos / 1e6));
        for (var e : rows.subList(0, Math.min(40, rows.size()))) {
            long[] c = e.getValue();
            sb.append(String.format("  %-48s %9d calls %10.2f ms %7.2f us/call%n", e.getKey(), c[0], c[1] / 1e6, c[1] / 1e3 / c[0]));
        }
        System.err.print(sb);
    }
}
