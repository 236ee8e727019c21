package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Storage;
import dev.diffusion4j.engine.Tensor;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Column sums of a gradient that the kernel which wrote it summed on the way ([rows, n] -> [n]), so that a Linear
 * layer's bias gradient (the column sums of its output's gradient) need not read it all again: DiT's gated residual
 * backward writes the branch's gradient, the attention projection's and fc2's output gradient, with its sums. Kept per
 * storage, weakly; gradients are not written in place after they are made (autograd adds them out of place), so the
 * sums hold as long as the storage does.
 */
final class KnownColumnSums {
    private record Entry(int offset, long numel, int columns, Tensor sums) {}

    private final Map<Storage, Entry> known = Collections.synchronizedMap(new WeakHashMap<>());

    /** Notes that sums [n] are the column sums of the contiguous g viewed as [numel / n, n] (n = g's last dim). */
    void put(Tensor g, Tensor sums) {
        known.put(g.storage(), new Entry(g.offset(), g.numel(), g.shape(-1), sums));
    }

    /** The column sums of gy [rows, n] noted for the same elements, or null. */
    Tensor of(Tensor gy) {
        Entry e = known.get(gy.storage());
        return e != null && gy.rank() == 2 && gy.isContiguous() && gy.offset() == e.offset() && gy.numel() == e.numel()
                && gy.shape(1) == e.columns() ? e.sums() : null;
    }
}
