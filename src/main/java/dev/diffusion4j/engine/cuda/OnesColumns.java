package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Storage;
import dev.diffusion4j.engine.Tensor;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Outputs written with a one and seven zeros after each row (rows at least {@link #COLUMNS} elements further apart
 * than their width): a Linear layer that reads such an input x [rows, k] and needs its bias gradient takes it as column k of the
 * weight gradient's product gyᵀ [x, 1, 0...], instead of reading its output gradient again for the column sums. DiT's
 * modulated norms write their outputs so in training, for qkv and fc1. Kept per storage, weakly: the padding is only
 * reachable through the storage, which no view of the output covers, so it holds as long as the storage does.
 */
final class OnesColumns {
    /** The columns written after each row: the ones column and seven zeros, keeping bf16 rows 16-byte aligned. */
    static final int COLUMNS = 8;
    /** The room after each row (-Ddiffusion4j.cuda.onesColumnPad, a multiple of 8): {@link #COLUMNS} and unused space. */
    static final int PAD = Math.max(COLUMNS, Integer.getInteger("diffusion4j.cuda.onesColumnPad", COLUMNS) / 8 * 8);

    private record Entry(int offset, int rows, int columns, int ld) {}

    private final Map<Storage, Entry> known = Collections.synchronizedMap(new WeakHashMap<>());

    /** A tensor of {@code shape} (its last dim the row) whose rows are laid out with room for the padding after each. */
    static Tensor allocate(CudaBackend backend, int[] shape, DType dtype) {
        int r = shape.length, d = shape[r - 1], ld = d + PAD;
        int[] padded = shape.clone();
        padded[r - 1] = ld;
        Tensor base = backend.alloc(padded, dtype);
        int[] strides = new int[r];
        int s = ld;
        strides[r - 1] = 1;
        for (int i = r - 2; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
        Tensor y = new Tensor(base.storage(), shape, strides, base.offset());
        backend.onesColumns().known.put(y.storage(), new Entry(y.offset(), (int) (y.numel() / d), d, ld));
        return y;
    }

    /** The row stride of x [rows, k] where its rows were written with the padding after them, else 0. */
    int ld(Tensor x) {
        Entry e = known.get(x.storage());
        return e != null && x.rank() == 2 && x.offset() == e.offset() && x.shape(0) == e.rows() && x.shape(1) == e.columns()
                && x.strides()[0] == e.ld() && x.strides()[1] == 1 ? e.ld() : 0;
    }
}
