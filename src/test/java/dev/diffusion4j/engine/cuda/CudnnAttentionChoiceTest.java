package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Which timed cuDNN attention plan is kept: the heuristics' first unless another is clearly faster. */
class CudnnAttentionChoiceTest {
    private static final float NaN = Float.NaN;

    @Test
    void keepsTheHeuristicsFirstWithinTheMargin() {
        assertEquals(0, CudnnAttention.fastest(new float[] {1.00f, 0.98f, 1.2f}));
        assertEquals(0, CudnnAttention.fastest(new float[] {1.00f}));
    }

    @Test
    void takesAClearlyFasterCandidate() {
        assertEquals(1, CudnnAttention.fastest(new float[] {1.00f, 0.90f, 0.95f}));
        assertEquals(2, CudnnAttention.fastest(new float[] {1.00f, 0.90f, 0.80f}));
    }

    @Test
    void skipsCandidatesThatFailed() {
        assertEquals(1, CudnnAttention.fastest(new float[] {NaN, 1.3f, NaN}));
        assertEquals(0, CudnnAttention.fastest(new float[] {1.0f, NaN}));
        assertEquals(2, CudnnAttention.fastest(new float[] {NaN, NaN, 0.5f}));
    }
}
