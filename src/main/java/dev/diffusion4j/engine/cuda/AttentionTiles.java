package dev.diffusion4j.engine.cuda;

import java.util.List;

/**
 * One tile configuration of attention.cu: head dims up to {@code dp} (D and Dv padded to it), rows per thread of the
 * query and key tiles in the forward and dQ kernels (fwdRq, fwdRk) and in the dK/dV kernel (bwdRq, bwdRk). A block
 * is 16 x 16 threads, so a tile has 16 * r rows. This record is the one place these numbers live: it gives the
 * kernel its defines and each launch its shared-memory size, which must match the layout in attention.cu (each
 * kernel traps when given less). Smaller tiles for larger head dims keep shared memory near 100 KB and the
 * accumulators within registers.
 */
record AttentionTiles(int dp, int fwdRq, int fwdRk, int bwdRq, int bwdRk) {
    static final int SIDE = 16;
    static final int THREADS = SIDE * SIDE;

    /** The buckets, smallest first: DiT's head dims (64, 72) and the U-Net's (up to 256 channels in one head). */
    static final List<AttentionTiles> ALL = List.of(
            new AttentionTiles(32, 4, 4, 4, 4),
            new AttentionTiles(64, 4, 4, 2, 4),
            new AttentionTiles(80, 4, 4, 2, 4),
            new AttentionTiles(128, 4, 2, 2, 2),
            new AttentionTiles(256, 2, 2, 1, 2));

    /** The largest head dim (D and Dv) the fused kernels take. */
    static final int MAX_HEAD_DIM = ALL.getLast().dp();

    /** The smallest bucket holding head dims d, or null above {@link #MAX_HEAD_DIM}. */
    static AttentionTiles forHeadDim(int d) {
        for (AttentionTiles t : ALL) if (d <= t.dp) return t;
        return null;
    }

    String[] defines() {
        return new String[] {"DP=" + dp, "FWD_RQ=" + fwdRq, "FWD_RK=" + fwdRk, "BWD_RQ=" + bwdRq, "BWD_RK=" + bwdRk};
    }

    int fwdQueryRows() { return SIDE * fwdRq; }
    int bwdKeyRows() { return SIDE * bwdRk; }

    /** Floats of a [rows][dp] tile (row stride dp + 1). */
    private int tile(int rows) { return rows * (dp + 1); }

    /** attn_fwd: q, k, v tiles and P [BQ][BK + 1]. */
    int forwardSmemBytes() {
        int bq = SIDE * fwdRq, bk = SIDE * fwdRk;
        return 4 * (tile(bq + 2 * bk) + bq * (bk + 1));
    }

    /** attn_bwd_dq: q, dO, k, v tiles and dS [BQ][BK + 1]. */
    int dqSmemBytes() {
        int bq = SIDE * fwdRq, bk = SIDE * fwdRk;
        return 4 * (tile(2 * bq + 2 * bk) + bq * (bk + 1));
    }

    /** attn_bwd_dkdv: k, v, q, dO tiles, P^T and dS^T [BK][BQ + 1], lse and di [BQ]. */
    int dkdvSmemBytes() {
        int bq = SIDE * bwdRq, bk = SIDE * bwdRk;
        return 4 * (tile(2 * bk + 2 * bq) + 2 * bk * (bq + 1) + 2 * bq);
    }

    int maxSmemBytes() { return Math.max(forwardSmemBytes(), Math.max(dqSmemBytes(), dkdvSmemBytes())); }
}
