package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Storage;
import dev.diffusion4j.engine.Tensor;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Outputs whose kernels wrote a one and seven zeros after each row (rows {@link #COLUMNS} elements further apart than
 * their width): a Linear layer that reads such an input x [rows, k] and needs its bias gradient takes it as column k
 * of the weight gradient's product gyᵀ [x, 1, 0...], instead of reading its output gradient again for the column sums.
 * DiT's modulated norms write their bf16 outputs so in training (CudaNorm). Kept per storage, weakly: the padding is
 * reachable only through the storage, which no view of the output covers, so it holds as long as the storage does.
 */
final class OnesColumns {
    /** The columns after each row: the ones column and seven zeros, so that bf16 rows of a multiple of 8 stay 16-byte aligned. */
    static final int COLUMNS = 8;

    private record Entry(int offset, int rows, int columns) {}

    private final Map<Storage, Entry> written = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * An uninitialised tensor of {@code shape} (its last dim the row, a multiple of 8 so that the rows stay aligned)
     * whose rows lie {@link #COLUMNS} elements further apart than their width, leaving room for the ones column.
     */
    static Tensor paddedRows(CudaBackend backend, int[] shape, dev.diffusion4j.engine.DType dtype) {
        int r = shape.length, d = shape[r - 1];
        int[] padded = shape.clone();
        padded[r - 1] = d + COLUMNS;
        return backend.alloc(padded, dtype).slice(r - 1, 0, d);
    }

    /** Notes that a kernel has been queued that writes the ones column after each row of y (from {@link #paddedRows}). */
    void note(Tensor y) {
        int d = y.shape(-1);
        written.put(y.storage(), new Entry(y.offset(), (int) (y.numel() / d), d));
    }

    /** Whether x [rows, k] is a noted output viewed as rows, so that column k past each row is a one and 8 - 1 zeros follow. */
    boolean hasOnes(Tensor x) {
        Entry e = written.get(x.storage());
        return e != null && x.rank() == 2 && x.offset() == e.offset() && x.shape(0) == e.rows() && x.shape(1) == e.columns()
                && x.strides()[0] == e.columns() + COLUMNS && x.strides()[1] == 1;
    }
}
