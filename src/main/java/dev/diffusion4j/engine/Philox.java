package dev.diffusion4j.engine;

/**
 * Philox 4x32-10 counter-based generator (Salmon et al. 2011). Element i of a draw that starts at counter
 * {@code offset} uses counter {@code offset + i/4}, lane {@code i%4}, with the seed as key: any backend that
 * follows the same rule produces the same numbers, in any order and in parallel.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    private static final double TWO_POW_M24 = 1.0 / (1 << 24);

    private Philox() {}

    /** Counters consumed by n draws (four 32-bit words per counter). */
    public static long countersFor(long n) { return (n + 3) / 4; }

    /** The four 32-bit outputs for one counter value, written to out[0..3]. */
    public static void block(long seed, long counter, int[] out) {
        block((int) seed, (int) (seed >>> 32), (int) counter, (int) (counter >>> 32), 0, 0, out);
    }

    /** The full 128-bit-counter form (the one Random123's known-answer vectors use). */
    public static void block(int k0, int k1, int c0, int c1, int c2, int c3, int[] out) {
        for (int r = 0; r < 10; r++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0, hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
    }

    /** A uniform in [0, 1) with 24 random bits (exact in float). */
    public static double uniform(int bits) { return (bits >>> 8) * TWO_POW_M24; }

    /** A uniform in (0, 1], safe for log. */
    public static double uniformOpenZero(int bits) { return ((bits >>> 8) + 1) * TWO_POW_M24; }

    /**
     * Standard normals for lanes 0..3 of one counter by Box-Muller on pairs (u0,u1) and (u2,u3):
     * lane 0 = r0 cos, lane 1 = r0 sin, lane 2 = r1 cos, lane 3 = r1 sin.
     */
    public static void normals(int[] bits, double[] out) {
        for (int p = 0; p < 2; p++) {
            double u1 = uniformOpenZero(bits[2 * p]);
            double u2 = uniform(bits[2 * p + 1]);
            double r = Math.sqrt(-2 * Math.log(u1));
            double th = 2 * Math.PI * u2;
            out[2 * p] = r * Math.cos(th);
            out[2 * p + 1] = r * Math.sin(th);
        }
    }
}
