package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/** Runs without a GPU: how the fused attention folds batch dims of (strided) operands into two strides. */
class BatchFoldTest {
    @Test
    void contiguousBatchDimsFoldIntoOne() {
        Tensor q = Tensor.zeros(2, 3, 4, 5, 8), k = Tensor.zeros(2, 3, 4, 7, 8);
        BatchFold f = BatchFold.of(new int[] {2, 3, 4}, q, k);
        assertEquals(1, f.n1);
        assertEquals(24, f.n2);
        assertArrayEquals(new long[] {0, 40}, f.strides(0));
        assertArrayEquals(new long[] {0, 56}, f.strides(1));
    }

    @Test
    void aHeadSplitViewKeepsTwoStrides() {
        // [N, L, H, 3D] sliced to q and permuted to [N, H, L, D]: batch N then H, neither mergeable with the other
        Tensor qkv = Tensor.zeros(2, 6, 4, 3 * 8);
        Tensor q = qkv.slice(3, 0, 8).permute(0, 2, 1, 3), v = Tensor.zeros(2, 4, 6, 8);
        BatchFold f = BatchFold.of(new int[] {2, 4}, q, v);
        assertEquals(2, f.n1);
        assertEquals(4, f.n2);
        assertArrayEquals(new long[] {6 * 4 * 24, 24}, f.strides(0));
        assertArrayEquals(new long[] {4 * 6 * 8, 6 * 8}, f.strides(1));
    }

    @Test
    void sizeOneDimsAndNoBatchFoldTrivially() {
        Tensor q = Tensor.zeros(1, 3, 1, 5, 8);
        BatchFold f = BatchFold.of(new int[] {1, 3, 1}, q);
        assertEquals(3, f.count());
        assertArrayEquals(new long[] {0, 40}, f.strides(0));
        BatchFold none = BatchFold.of(new int[0], Tensor.zeros(5, 8));
        assertEquals(1, none.count());
        assertArrayEquals(new long[] {0, 0}, none.strides(0));
    }

    @Test
    void threeUnmergeableGroupsAreRefused() {
        Tensor q = Tensor.zeros(4, 3, 2, 5, 8).permute(2, 1, 0, 3, 4);   // batch [2, 3, 4], strides reversed
        assertNull(BatchFold.of(new int[] {2, 3, 4}, q));
        // the same batch dims fold when only one operand is contiguous: every operand must allow a merge
        assertNull(BatchFold.of(new int[] {2, 3, 4}, Tensor.zeros(2, 3, 4, 5, 8), q));
    }
}
