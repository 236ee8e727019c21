package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Runs without a GPU: the fused attention's tile table. */
class AttentionTilesTest {
    /** An A100's opt-in shared memory per block (an H100 has 227 KB): staying below it keeps the fused path on both. */
    private static final int A100_SMEM_OPTIN = 163 * 1024;

    @Test
    void headDimsPickTheSmallestBucket() {
        assertEquals(32, AttentionTiles.forHeadDim(1).dp());
        assertEquals(32, AttentionTiles.forHeadDim(32).dp());
        assertEquals(64, AttentionTiles.forHeadDim(33).dp());
        assertEquals(80, AttentionTiles.forHeadDim(72).dp());   // DiT-XL
        assertEquals(128, AttentionTiles.forHeadDim(128).dp());
        assertEquals(256, AttentionTiles.forHeadDim(256).dp());
        assertNull(AttentionTiles.forHeadDim(257));
        assertEquals(256, AttentionTiles.MAX_HEAD_DIM);
    }

    @Test
    void everyBucketFitsTheKernelsAssumptions() {
        int last = 0;
        for (AttentionTiles t : AttentionTiles.ALL) {
            assertTrue(t.dp() > last, "buckets ascend");
            last = t.dp();
            assertEquals(0, t.dp() % AttentionTiles.SIDE, t + ": a thread owns dp / 16 columns");
            assertTrue(t.maxSmemBytes() <= A100_SMEM_OPTIN, t + " needs " + t.maxSmemBytes() + " B of shared memory");
            assertEquals(5, t.defines().length);
        }
    }

    @Test
    void sharedMemoryFollowsTheKernelLayout() {
        // DP 64, forward 64 x 64 tiles: q, k, v [64][65] and P [64][65] floats
        AttentionTiles t = AttentionTiles.forHeadDim(64);
        assertEquals(4 * (3 * 64 * 65 + 64 * 65), t.forwardSmemBytes());
        assertEquals(4 * (4 * 64 * 65 + 64 * 65), t.dqSmemBytes());
        // dK/dV: 64 key rows, 32 query rows: k, v [64][65], q, dO [32][65], P^T, dS^T [64][33], lse, di [32]
        assertEquals(4 * (2 * 64 * 65 + 2 * 32 * 65 + 2 * 64 * 33 + 2 * 32), t.dkdvSmemBytes());
    }
}
