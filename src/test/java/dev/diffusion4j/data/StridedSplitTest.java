package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StridedSplitTest {
    @Test void keptAndHeldOutPartitionTheSource() {
        for (int n : new int[] {0, 1, 9, 10, 11, 23}) {
            ShapesDataset src = new ShapesDataset(Math.max(n, 1), 8, 3, 0);
            var kept = (StridedSplit) StridedSplit.kept(src, 5);
            var held = (StridedSplit) StridedSplit.heldOut(src, 5);
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < kept.size(); i++) seen.add(kept.sourceIndex(i));
            for (int i = 0; i < held.size(); i++) {
                assertEquals(4, held.sourceIndex(i) % 5);
                seen.add(held.sourceIndex(i));
            }
            assertEquals(src.size(), kept.size() + held.size());
            assertEquals(src.size(), seen.size());
            for (int s : seen) assertEquals(true, s >= 0 && s < src.size(), "index " + s + " of " + src.size());
        }
    }
}
