package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The leading (batch) dims of tensors that share them, folded into at most two strides per tensor, so a kernel
 * addresses batch b = b1 * n2 + b2 (row-major over the batch dims) at b1 * s1 + b2 * s2. Dims of size 1 are
 * dropped and neighbours merged where every tensor's strides allow; a head-split view such as
 * [N, L, H, D].permute(0, 2, 1, 3) folds without a copy. Null when more than two groups remain.
 */
final class BatchFold {
    final int n1, n2;
    private final long[][] strides;   // per tensor {s1, s2}

    private BatchFold(int n1, int n2, long[][] strides) {
        this.n1 = n1;
        this.n2 = n2;
        this.strides = strides;
    }

    int count() { return n1 * n2; }

    static BatchFold of(int[] batch, Tensor... ts) {
        List<Long> sizes = new ArrayList<>();
        List<long[]> inner = new ArrayList<>();   // per group: each tensor's stride of its innermost dim
        long total = 1;
        for (int d = 0; d < batch.length; d++) {
            total *= batch[d];
            if (batch[d] == 1) continue;
            long[] st = new long[ts.length];
            for (int i = 0; i < ts.length; i++) st[i] = ts[i].strides()[d];
            int last = sizes.size() - 1;
            if (last >= 0 && mergeable(inner.get(last), st, batch[d])) {
                sizes.set(last, sizes.get(last) * batch[d]);
                inner.set(last, st);
            } else {
                sizes.add((long) batch[d]);
                inner.add(st);
            }
        }
        if (sizes.size() > 2 || total > Integer.MAX_VALUE) return null;
        while (sizes.size() < 2) {
            sizes.addFirst(1L);
            inner.addFirst(new long[ts.length]);
        }
        long[][] strides = new long[ts.length][];
        for (int i = 0; i < ts.length; i++) strides[i] = new long[] {inner.get(0)[i], inner.get(1)[i]};
        return new BatchFold((int) (long) sizes.get(0), (int) (long) sizes.get(1), strides);
    }

    private static boolean mergeable(long[] outer, long[] next, int nextSize) {
        for (int i = 0; i < outer.length; i++) if (outer[i] != next[i] * nextSize) return false;
        return true;
    }

    /** The i-th tensor's {s1, s2} (elements). */
    long[] strides(int i) { return strides[i].clone(); }

    /**
     * Kernel arguments of the i-th tensor (as passed to {@link #of}) read as [batch, rows, cols]: its address, the two
     * batch strides, the row and the column stride (elements).
     */
    Object[] view(int i, Tensor t) {
        int r = t.rank();
        int[] st = t.strides();
        return new Object[] {CudaBackend.ptr(t), strides[i][0], strides[i][1], (long) st[r - 2], (long) st[r - 1]};
    }
}
