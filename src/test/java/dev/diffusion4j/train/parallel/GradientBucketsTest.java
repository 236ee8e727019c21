package dev.diffusion4j.train.parallel;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Parameter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Bucket assignment (reverse order, byte budget, oversized alone) and the flatten/unflatten round trip. */
class GradientBucketsTest {
    private static Parameter param(String name, int n, float base) {
        float[] v = new float[n];
        Parameter p = new Parameter(name, Tensor.of(new float[n], n));
        for (int i = 0; i < n; i++) v[i] = base + i;
        p.setGrad(Tensor.of(v, n));
        return p;
    }

    @Test
    void bucketsFillInReverseOrderUpToTheBudgetAndCoverEveryParameterOnce() {
        // sizes in f32 elements: 10, 20, 5, 100, 3; budget 100 bytes = 25 elements
        List<Parameter> ps = List.of(param("a", 10, 0), param("b", 20, 0), param("c", 5, 0), param("d", 100, 0), param("e", 3, 0));
        var buckets = new GradientBuckets(ps, 100).buckets();
        List<List<Integer>> got = new ArrayList<>();
        for (var b : buckets) {
            List<Integer> idx = new ArrayList<>();
            for (int i : b.params()) idx.add(i);
            got.add(idx);
        }
        // e(3) then d(100) would pass 25: e alone; d alone (oversized); c(5)+b(20)=25 fits; a(10) next
        assertEquals(List.of(List.of(4), List.of(3), List.of(2, 1), List.of(0)), got);
        Set<Integer> seen = new HashSet<>();
        for (var l : got) for (int i : l) assertTrue(seen.add(i));
        assertEquals(5, seen.size());
        assertEquals(25, buckets.get(2).numel());
        assertArrayEquals(new long[] {0, 5}, buckets.get(2).offsets());
    }

    @Test
    void flattenThenUnflattenGivesBackEveryGradientAndShape() {
        Parameter a = new Parameter("a", Tensor.of(new float[6], 2, 3));
        a.setGrad(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Parameter b = param("b", 4, 10);
        Parameter none = new Parameter("none", Tensor.of(new float[2], 2));    // no gradient: contributes zeros
        var gb = new GradientBuckets(List.of(a, b, none), 1 << 20);
        var bucket = gb.buckets().get(0);
        Tensor flat = gb.flatten(bucket);
        assertArrayEquals(new float[] {0, 0, 10, 11, 12, 13, 1, 2, 3, 4, 5, 6}, flat.toFloatArray());
        gb.unflatten(bucket, flat.mul(2));
        assertArrayEquals(new int[] {2, 3}, a.grad().shape());
        assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, a.grad().toFloatArray());
        assertArrayEquals(new float[] {20, 22, 24, 26}, b.grad().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> gb.unflatten(bucket, Tensor.of(new float[3], 3)));
    }

    @Test
    void shardsCoverEveryGlobalSampleOnceAndAreTheSameSamplesForAnyWorldSize() {
        int batch = 12;
        for (int w : new int[] {1, 2, 3, 4, 6, 12}) {
            int[] owner = new int[batch];
            java.util.Arrays.fill(owner, -1);
            for (int r = 0; r < w; r++) {
                BatchShard s = new BatchShard(r, w);
                assertEquals(batch / w, s.end(batch) - s.start(batch));
                for (int i = s.start(batch); i < s.end(batch); i++) {
                    assertEquals(-1, owner[i], "sample " + i + " in two shards at W=" + w);
                    owner[i] = r;
                }
            }
            for (int i = 0; i < batch; i++) assertEquals(i / (batch / w), owner[i], "sample " + i + " at W=" + w);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> new BatchShard(0, 5).start(batch));
        assertTrue(e.getMessage().contains("multiple of 5"), e.getMessage());
    }
}
