package dev.diffusion4j.pipelines;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The order in which RePaint (Lugmayr et al., 2022, "resampling with jumps") visits a schedule's states. State i is
 * the chain at noise level alpha_bar(i) of a T-step schedule (T - 1: the start, pure noise; -1: the finished sample).
 * The walk goes down one state per reverse step. Whenever it reaches a jump point j in 0, L, 2L, ... below T - L it
 * goes back up L states with the forward process, r - 1 times per jump point, so the L states above every jump point
 * are denoised r times. The states above the highest jump point are walked once, and the last step to the sample is
 * never undone.
 * <pre>{@code
 * int[] walk = RepaintSchedule.states(10, 3, 2);
 * // 9 8 7 6 7 8 9 8 7 6 5 4 3 4 5 6 5 4 3 2 1 0 1 2 3 2 1 0 -1: 19 reverse steps
 * }</pre>
 */
public final class RepaintSchedule {
    private RepaintSchedule() {}

    /** The states visited, from T - 1 down to -1; a step down is one reverse step (one model call), a step up one forward step. */
    public static int[] states(int steps, int jumpLength, int resamplings) {
        check(steps, jumpLength, resamplings);
        Map<Integer, Integer> jumpsLeft = new HashMap<>();
        for (int j = 0; j < steps - jumpLength; j += jumpLength) jumpsLeft.put(j, resamplings - 1);
        List<Integer> walk = new ArrayList<>();
        int t = steps;
        while (t >= 1) {
            walk.add(--t);
            int left = jumpsLeft.getOrDefault(t, 0);
            if (left > 0) {
                jumpsLeft.put(t, left - 1);
                for (int k = 0; k < jumpLength; k++) walk.add(++t);
            }
        }
        walk.add(-1);
        return walk.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Reverse steps (model calls) of a walk: T plus (r - 1) L for every jump point. */
    public static long modelCalls(int steps, int jumpLength, int resamplings) {
        check(steps, jumpLength, resamplings);
        long jumpPoints = steps > jumpLength ? (steps - jumpLength + jumpLength - 1) / jumpLength : 0;
        return steps + jumpPoints * (resamplings - 1) * (long) jumpLength;
    }

    private static void check(int steps, int jumpLength, int resamplings) {
        if (steps < 1 || jumpLength < 1 || resamplings < 1)
            throw new IllegalArgumentException("RePaint needs steps, jump length and resamplings >= 1, got " + steps + ", " + jumpLength + ", " + resamplings);
    }
}
