package dev.diffusion4j.engine.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Opt-in counts of what the host queues (property {@code diffusion4j.cuda.profile=true}): kernel launches and
 * library calls by name with the host time spent in each call, and forced collections with their time, printed to
 * stderr when the JVM exits (or at {@link #report}). With {@code diffusion4j.cuda.profile=gpu} each call is also bracketed by a pair of
 * CUDA events, which adds the device time per name and the time the device sat idle between calls (waiting for
 * the host) — what an external timeline profiler would show, for machines that have none. Off, it costs one
 * static-final branch per call.
 */
public final class LaunchProfile {
    private static final String MODE = System.getProperty("diffusion4j.cuda.profile", "false");
    static final boolean ENABLED = MODE.equals("true") || MODE.equals("gpu");
    private static final boolean DEVICE_TIME = MODE.equals("gpu");
    private static final int DRAIN_EVERY = 4096;
    /** Calls whose name contains one of these (property diffusion4j.cuda.profile.callers, comma-separated) are split by caller. */
    private static final List<String> BY_CALLER = ENABLED ? List.of(System.getProperty("diffusion4j.cuda.profile.callers", "").split(","))
            .stream().filter(x -> !x.isBlank()).toList() : List.of();

    private static final Map<String, double[]> CALLS = new HashMap<>();   // name -> {count, host nanos, device millis}
    private static final ArrayDeque<Long> FREE_EVENTS = new ArrayDeque<>();
    private static final List<Span> PENDING = new ArrayList<>();
    private static long lastEnd;           // the newest drained end event, for the idle gap before the next call
    private static double idleMillis, deviceMillis;
    private static CudaContext context;

    static {
        if (ENABLED) Runtime.getRuntime().addShutdownHook(new Thread(() -> print("at exit"), "diffusion4j-cuda-profile"));
    }

    private LaunchProfile() {}

    /** One library call or launch being recorded; {@link #end} closes it. */
    static final class Span {
        private final long t0 = System.nanoTime();
        private final long startEvent;
        private long endEvent;
        private String name;

        private Span(long startEvent) { this.startEvent = startEvent; }

        void end(String callName) { LaunchProfile.end(this, callName); }
    }

    /** Starts recording a call queued on {@code ctx}'s stream; only called when {@link #ENABLED}. */
    static synchronized Span begin(CudaContext ctx) {
        long ev = 0;
        if (DEVICE_TIME) {
            context = ctx;
            ctx.makeCurrent();
            ev = event();
            DriverApi.eventRecord(ev, ctx.stream());
        }
        return new Span(ev);
    }

    private static synchronized void end(Span s, String callName) {
        long hostNanos = System.nanoTime() - s.t0;
        if (DEVICE_TIME) {
            s.endEvent = event();
            DriverApi.eventRecord(s.endEvent, context.stream());
        }
        // the caller's stack is walked after both marks: walked between them it counted as the call's host and device time
        // (an idle device reaches the end event only once it is recorded), which inflated split rows several-fold
        String name = BY_CALLER.stream().anyMatch(callName::contains) ? callName + " <- " + callers() : callName;
        record(name, hostNanos);
        if (!DEVICE_TIME) return;
        s.name = name;
        PENDING.add(s);
        if (PENDING.size() >= DRAIN_EVERY) drain();
    }

    /**
     * Forgets what was counted so far (after warm-up, say, so that the table shows steady state); waits for the device
     * when device times are on. Does nothing unless the profile is on.
     */
    public static synchronized void reset() {
        if (!ENABLED) return;
        if (DEVICE_TIME) drain();
        if (lastEnd != 0) FREE_EVENTS.add(lastEnd);
        lastEnd = 0;
        CALLS.clear();
        idleMillis = 0;
        deviceMillis = 0;
    }

    /** Prints what was recorded since the last reset under {@code label}, then resets. Does nothing unless the profile is on. */
    public static synchronized void report(String label) {
        if (!ENABLED) return;
        print(label);
        reset();
    }

    /** The three innermost frames outside this package (and the JDK), e.g. which autograd node asked for a copy. */
    private static String callers() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !f.getClassName().startsWith("dev.diffusion4j.engine.cuda.") && !f.getClassName().startsWith("java."))
                .limit(3).map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + f.getMethodName())
                .reduce((a, b) -> a + " < " + b).orElse("?"));
    }

    /** Records one call of {@code name} that took {@code nanos} on the host. */
    static synchronized void record(String name, long nanos) {
        double[] c = CALLS.computeIfAbsent(name, k -> new double[3]);
        c[0]++;
        c[1] += nanos;
    }

    private static long event() {
        Long e = FREE_EVENTS.poll();
        return e != null ? e : DriverApi.eventCreate(DriverApi.CU_EVENT_DEFAULT);
    }

    /** Waits for the pending calls and adds up their device times. */
    private static void drain() {
        if (PENDING.isEmpty()) return;
        context.makeCurrent();
        DriverApi.eventSynchronize(PENDING.get(PENDING.size() - 1).endEvent);
        for (Span s : PENDING) {
            float ms = DriverApi.eventElapsedMillis(s.startEvent, s.endEvent);
            CALLS.get(s.name)[2] += ms;
            deviceMillis += ms;
            if (lastEnd != 0) {
                idleMillis += DriverApi.eventElapsedMillis(lastEnd, s.startEvent);
                FREE_EVENTS.add(lastEnd);
            }
            FREE_EVENTS.add(s.startEvent);
            lastEnd = s.endEvent;
        }
        PENDING.clear();
    }

    private static synchronized void print(String label) {
        if (DEVICE_TIME) {
            try {
                drain();
            } catch (RuntimeException e) {
                System.err.println("cuda profile: device times incomplete (" + e.getMessage() + ")");
            }
        }
        if (CALLS.isEmpty()) return;
        List<Map.Entry<String, double[]>> rows = new ArrayList<>(CALLS.entrySet());
        int key = DEVICE_TIME ? 2 : 1;
        rows.sort((a, b) -> Double.compare(b.getValue()[key], a.getValue()[key]));
        long calls = 0;
        double nanos = 0;
        for (var e : rows) { calls += (long) e.getValue()[0]; nanos += e.getValue()[1]; }
        StringBuilder sb = new StringBuilder(String.format("cuda profile (%s): %d calls, %.1f ms host time in them", label, calls, nanos / 1e6));
        if (DEVICE_TIME) sb.append(String.format(", %.1f ms device time in them, %.1f ms device idle between them", deviceMillis, idleMillis));
        sb.append(System.lineSeparator());
        for (var e : rows.subList(0, Math.min(DEVICE_TIME ? 120 : 60, rows.size()))) {
            double[] c = e.getValue();
            sb.append(String.format("  %-72s %9d calls %10.2f ms host %7.2f us/call", e.getKey(), (long) c[0], c[1] / 1e6, c[1] / 1e3 / c[0]));
            if (DEVICE_TIME) sb.append(String.format(" %10.2f ms device %8.2f us/call", c[2], c[2] * 1e3 / c[0]));
            sb.append(System.lineSeparator());
        }
        System.err.print(sb);
    }
}
