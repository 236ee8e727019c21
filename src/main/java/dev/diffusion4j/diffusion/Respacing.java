package dev.diffusion4j.diffusion;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * Which of the T training timesteps a shorter sampling run keeps (improved-diffusion's section rule).
 * <ul>
 *   <li>{@code "250"}: 250 steps spread evenly over [0, T-1], both ends included;</li>
 *   <li>{@code "10,15,20"}: T split into 3 equal sections (the first T % 3 one longer) with 10, 15 and 20 evenly
 *       spaced steps in each;</li>
 *   <li>{@code "ddim50"}: every k-th step from 0 (0, k, 2k, ...) for the stride k that gives exactly 50 steps,
 *       as the DDIM paper does.</li>
 * </ul>
 * <pre>{@code int[] keep = Respacing.timesteps("ddim50", 1000);  // 0, 20, ..., 980}</pre>
 */
public final class Respacing {
    private Respacing() {}

    /** Ascending kept timestep indices for a spec. */
    public static int[] timesteps(String spec, int steps) {
        String s = spec.trim();
        if (s.isEmpty()) throw new IllegalArgumentException("empty respacing spec: use e.g. 250, ddim50 or 10,15,20");
        if (s.startsWith("ddim")) {
            int want = parseCount(s.substring(4), spec);
            for (int stride = 1; stride <= steps; stride++) {
                if ((steps + stride - 1) / stride == want) {
                    int[] r = new int[want];
                    for (int i = 0; i < want; i++) r[i] = i * stride;
                    return r;
                }
            }
            throw new IllegalArgumentException("no integer stride gives exactly " + want + " DDIM steps out of " + steps
                    + "; pick another count or use an even spacing such as \"" + want + "\"");
        }
        String[] parts = s.split(",");
        int[] counts = new int[parts.length];
        for (int i = 0; i < parts.length; i++) counts[i] = parseCount(parts[i], spec);
        return sections(steps, counts);
    }

    /** Evenly spaced steps within equal sections of [0, T): counts[k] steps in section k. */
    public static int[] sections(int steps, int... counts) {
        int nSec = counts.length;
        int base = steps / nSec, extra = steps % nSec;
        TreeSet<Integer> keep = new TreeSet<>();
        int start = 0;
        for (int k = 0; k < nSec; k++) {
            int size = base + (k < extra ? 1 : 0);
            int c = counts[k];
            if (c > size) throw new IllegalArgumentException("cannot take " + c + " steps from a section of " + size + " steps (T = " + steps + ")");
            if (c > 0) {
                // stride (size-1)/(c-1) hits both ends of the section; accumulating the index and rounding half to
                // even (rint) picks the same steps as improved-diffusion's Python
                double stride = c <= 1 ? 1 : (size - 1.0) / (c - 1), cur = 0;
                for (int j = 0; j < c; j++) { keep.add(start + (int) Math.rint(cur)); cur += stride; }
            }
            start += size;
        }
        return keep.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int parseCount(String s, String spec) {
        try {
            int v = Integer.parseInt(s.trim());
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad respacing spec '" + spec + "': use a step count (250), ddimN (ddim50) or a comma list (10,15,20)");
        }
    }

    static void check(int[] keep, int steps) {
        if (keep.length == 0) throw new IllegalArgumentException("respacing keeps no timesteps");
        for (int i = 0; i < keep.length; i++) {
            if (keep[i] < 0 || keep[i] >= steps) throw new IllegalArgumentException("kept timestep " + keep[i] + " outside [0, " + steps + ")");
            if (i > 0 && keep[i] <= keep[i - 1]) throw new IllegalArgumentException("kept timesteps must ascend: " + Arrays.toString(keep));
        }
    }
}
