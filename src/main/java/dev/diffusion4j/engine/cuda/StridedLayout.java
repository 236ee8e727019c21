package dev.diffusion4j.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import dev.diffusion4j.engine.Shape;
import java.util.Arrays;

/**
 * Up to four strided operands over one shape, simplified for the device: size-1 dims dropped and
 * neighbouring dims merged wherever every operand allows it (so contiguous and simple broadcast
 * cases become one flat dim). {@link #write} fills the kernels' by-value {@code struct Layout}
 * (common.cuh): dims right-aligned in arrays of eight.
 */
final class StridedLayout {
    static final int MAX_RANK = 8;
    static final int MAX_OPS = 4;
    /** sizeof(struct Layout): 2 + 8 + 4*8 + 4 ints, rounded up to its 16-byte alignment. */
    static final long BYTES = 192;

    private static final ThreadLocal<MemorySegment[]> SCRATCH = ThreadLocal.withInitial(() -> {
        Arena arena = Arena.ofAuto();
        return new MemorySegment[] {arena.allocate(BYTES, 16), arena.allocate(BYTES, 16)};
    });

    final int[] shape;
    final int[][] strides;
    final int[] offsets;
    final int n;

    private StridedLayout(int[] shape, int[][] strides, int[] offsets, int n) {
        this.shape = shape;
        this.strides = strides;
        this.offsets = offsets;
        this.n = n;
    }

    /** strides[k] and offsets[k] describe operand k over {@code shape} (elements, not bytes). */
    static StridedLayout of(int[] shape, int[][] strides, int[] offsets) {
        Shape.Strided merged = Shape.coalesce(shape, strides);
        return new StridedLayout(merged.shape(), merged.strides(), offsets.clone(), Shape.numelInt(shape));
    }

    int rank() { return shape.length; }

    boolean fits() { return shape.length <= MAX_RANK; }

    /** True when operand k walks the elements in order with stride 1. */
    boolean flat(int k) { return shape.length == 1 && strides[k][0] == 1; }

    /** True when operand k is one element repeated (every stride 0). */
    boolean scalar(int k) {
        for (int s : strides[k]) if (s != 0) return false;
        return true;
    }

    /** Writes the struct into this thread's scratch slot (0 or 1) and returns it, ready for a launch. */
    MemorySegment segment(int slot) {
        if (!fits()) throw new IllegalStateException("layout of rank " + rank() + " exceeds " + MAX_RANK + " dims after merging");
        MemorySegment m = SCRATCH.get()[slot];
        m.fill((byte) 0);
        int r = shape.length;
        m.set(ValueLayout.JAVA_INT, 0, r);
        m.set(ValueLayout.JAVA_INT, 4, n);
        for (int d = 0; d < r; d++) {
            int slotIndex = MAX_RANK - r + d;
            m.set(ValueLayout.JAVA_INT, 8 + 4L * slotIndex, shape[d]);
            for (int k = 0; k < strides.length; k++) m.set(ValueLayout.JAVA_INT, 40 + 4L * (k * MAX_RANK + slotIndex), strides[k][d]);
        }
        for (int k = 0; k < offsets.length; k++) m.set(ValueLayout.JAVA_INT, 168 + 4L * k, offsets[k]);
        return m;
    }

    @Override public String toString() {
        return "StridedLayout" + Arrays.toString(shape) + Arrays.deepToString(strides) + "+" + Arrays.toString(offsets);
    }
}
