package dev.diffusion4j.engine.cuda;

import java.util.function.IntPredicate;

/**
 * Device time of the candidate ways to run one piece of work (cuDNN's engines, cuBLASLt's algorithms), on the call's
 * own buffers as cudnnFind times them: each candidate once untimed, then a few times between two events.
 */
final class CandidateTiming {
    private CandidateTiming() {}

    /**
     * The mean milliseconds of {@code launch(i)} over {@code runs} for each candidate i, NaN where a launch declined
     * (returned false, having queued nothing) or the wait for its runs reported a failure.
     */
    static float[] millis(CudaContext context, int candidates, int runs, IntPredicate launch) {
        float[] ms = new float[candidates];
        try (CudaEvent start = context.newEvent(); CudaEvent end = context.newEvent()) {
            for (int i = 0; i < candidates; i++) {
                ms[i] = Float.NaN;
                if (!launch.test(i)) continue;
                start.record();
                boolean ran = true;
                for (int r = 0; r < runs && ran; r++) ran = launch.test(i);
                end.record();
                try {
                    float t = end.millisSince(start);
                    if (ran) ms[i] = t / runs;
                } catch (CudaException e) {
                    // the candidate failed as it ran: not a candidate
                }
            }
        }
        return ms;
    }

    /**
     * The candidate to keep: index 0 (the library's heuristic choice) unless another ran in less than {@code margin}
     * of its time; candidates timed NaN never win, and where index 0 has no time the fastest of the others does.
     */
    static int fastest(float[] ms, double margin) {
        int pick = 0;
        for (int i = 1; i < ms.length; i++)
            if (!Float.isNaN(ms[i]) && (Float.isNaN(ms[pick]) || ms[i] < ms[pick])) pick = i;
        return !Float.isNaN(ms[0]) && ms[pick] >= margin * ms[0] ? 0 : pick;
    }
}
