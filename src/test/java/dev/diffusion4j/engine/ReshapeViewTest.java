package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** reshape is a view where strides allow one, and a copy elsewhere; either way it shows the same elements in order. */
class ReshapeViewTest {
    @Test
    void squeezingASliceAndSplittingATransposedDimAreViews() {
        Tensor t = Tensor.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5);
        Tensor sel = t.select(1, 1);                                  // slice + squeeze
        assertSame(t.storage(), sel.storage());
        assertArrayEquals(t.contiguous().slice(1, 1, 2).contiguous().reshape(2, 4, 5).toFloatArray(), sel.toFloatArray());
        Tensor tr = t.transpose(2, 3);                                // [2, 3, 5, 4]
        Tensor split = tr.reshape(6, 5, 2, 2);                        // merges 2x3, splits the transposed 4 into 2x2
        assertSame(t.storage(), split.storage());
        assertArrayEquals(tr.contiguous().reshape(6, 5, 2, 2).toFloatArray(), split.toFloatArray());
        assertNull(Shape.viewStrides(tr.shape(), tr.strides(), new int[] {2, 3, 20}), "merging transposed dims needs a copy");
        Tensor merged = tr.reshape(2, 3, 20);
        assertNotSame(t.storage(), merged.storage());
        assertArrayEquals(tr.contiguous().reshape(2, 3, 20).toFloatArray(), merged.toFloatArray());
    }

    @Test
    void randomViewsReshapeLikeTheirContiguousCopies() {
        SplittableRandom r = new SplittableRandom(11);
        int views = 0;
        for (int trial = 0; trial < 400; trial++) {
            int rank = 1 + r.nextInt(4);
            int[] shape = new int[rank];
            for (int i = 0; i < rank; i++) shape[i] = 1 + r.nextInt(4);
            Tensor x = Tensor.arange((int) Shape.numel(shape)).reshape(shape);
            if (rank > 1 && r.nextBoolean()) x = x.transpose(r.nextInt(rank), r.nextInt(rank));
            int d = r.nextInt(rank);
            if (x.shape(d) > 1 && r.nextBoolean()) x = x.slice(d, 1, x.shape(d));
            // a random target shape: the element count factored into 1..4 dims, with size-1 dims sprinkled in
            List<Integer> target = new ArrayList<>();
            long rest = x.numel();
            for (int f = 2; f <= rest; f++) while (rest % f == 0 && r.nextInt(3) > 0) { target.add(f); rest /= f; }
            if (rest > 1) target.add((int) rest);
            if (r.nextBoolean()) target.add(r.nextInt(target.size() + 1), 1);
            int[] ns = target.stream().mapToInt(Integer::intValue).toArray();
            if (ns.length == 0) ns = new int[] {1};
            Tensor y = x.reshape(ns);
            int[] vs = Shape.viewStrides(x.shape(), x.strides(), ns);
            if (vs != null) {
                views++;
                assertSame(x.storage(), y.storage());
            }
            assertArrayEquals(x.contiguous().toFloatArray(), y.contiguous().toFloatArray(), "reshape of " + Shape.str(x.shape()) + " to " + Shape.str(ns));
        }
        System.out.println("ReshapeViewTest: " + views + " of 400 reshapes were views");
        assertTrue(views > 0 && views < 400, "the trials cover both views and copies");
    }
}
