package dev.diffusion4j.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The gradient of a tensor whose slices were used: each slice's backward writes its gradient into one zero-filled
 * buffer of the whole tensor's shape, which it takes over from the ones before (a {@link Node.AccumulatingBackward}),
 * so that chunk(6) of DiT's adaLN modulation costs one fill and six copies back, not six fills, six copies and five
 * adds. A buffer is written in place only while it is pending (not yet handed to the op that made the tensor) and was
 * made here, and only into a region no slice wrote before; anything else is added as before.
 */
final class SliceGradients {
    private SliceGradients() {}

    /** Buffers made here, each with the regions (dim, start, end, step) written so far; weak: autograd drops them. */
    private static final Map<Tensor, List<int[]>> OWN = Collections.synchronizedMap(new WeakHashMap<>());

    private static final java.util.concurrent.atomic.AtomicLong IN_PLACE = new java.util.concurrent.atomic.AtomicLong();

    /** How many slices' gradients so far went into a buffer in place (tests check that it happens). */
    static long inPlace() { return IN_PLACE.get(); }

    /**
     * The gradient of the sliced tensor (shape orig) with gy in its slice [s0, e0) step of dim d, plus pending (the
     * tensor's gradient so far, or null).
     */
    static Tensor into(Tensor pending, int[] orig, Tensor gy, int d, int s0, int e0, int step) {
        int[] region = {d, s0, e0, step};
        List<int[]> written = pending == null ? null : OWN.get(pending);
        if (written != null && pending.dtype() == gy.dtype() && disjoint(written, region)) {
            pending.backend().copyInto(ShapeOps.slice(pending, d, s0, e0, step), gy);
            written.add(region);
            IN_PLACE.incrementAndGet();
            return pending;
        }
        Tensor g = gy.backend().full(orig.clone(), gy.dtype(), 0);
        g.backend().copyInto(ShapeOps.slice(g, d, s0, e0, step), gy);
        if (pending != null) return pending.add(g);
        List<int[]> regions = new ArrayList<>();   // only the backward that holds the buffer pending touches it
        regions.add(region);
        OWN.put(g, regions);
        return g;
    }

    /** Whether region r shares no element with any of written: all slices of one dim with step 1 and no overlap. */
    private static boolean disjoint(List<int[]> written, int[] r) {
        for (int[] w : written)
            if (w[0] != r[0] || w[3] != 1 || r[3] != 1 || w[1] < r[2] && r[1] < w[2]) return false;
        return true;
    }
}
