package dev.diffusion4j.io.torch;

import dev.diffusion4j.io.RawTensor;
import java.util.Arrays;

/**
 * Copies a tensor out of its storage's bytes into a contiguous, little-endian {@link RawTensor}, following any strides
 * (transposed, sliced or offset views). Every index the view can reach is checked to lie inside the storage first. A
 * tensor that is its whole storage, in order, takes the storage's array itself (read-only, like every RawTensor's).
 */
final class TensorViews {
    /** The largest byte[] the JVM reliably allocates. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private TensorViews() {}

    /** The number of bytes the tensor will occupy, after checking that its view fits the storage. */
    static long checkedBytes(TensorRef t, long storageBytes) throws TorchCheckpointException {
        long[] size = t.size(), stride = t.stride();
        int e = t.dtype().size();
        if (t.offset() < 0) throw new TorchCheckpointException("negative storage offset " + t.offset());
        long numel = 1, last = t.offset();
        for (int d = 0; d < size.length; d++) {
            if (size[d] < 0 || size[d] > Integer.MAX_VALUE) throw new TorchCheckpointException("dimension " + d + " has size " + size[d]);
            if (stride[d] < 0) throw new TorchCheckpointException("dimension " + d + " has negative stride " + stride[d]);
            numel = size[d] == 0 || numel == 0 ? 0 : saturatingMultiply(numel, size[d]);
        }
        if (numel == 0) return 0;
        for (int d = 0; d < size.length; d++) last = saturatingAdd(last, saturatingMultiply(size[d] - 1, stride[d]));
        long storageElements = storageBytes / e;
        if (last >= storageElements) {
            throw new TorchCheckpointException("a " + Arrays.toString(size) + " view with strides " + Arrays.toString(stride)
                    + " at offset " + t.offset() + " reaches element " + last + ", past the end of its storage of "
                    + storageElements + " elements");
        }
        if (numel > storageElements) {
            throw new TorchCheckpointException("a view of " + numel + " elements over a storage of " + storageElements
                    + " (an expanded tensor with zero strides); save it with .contiguous() first");
        }
        long bytes = saturatingMultiply(numel, e);
        if (bytes > MAX_ARRAY) throw new TorchCheckpointException("the tensor has " + bytes + " bytes, more than one Java array holds (2 GiB)");
        return bytes;
    }

    /**
     * The tensor's values in row-major order; call {@link #checkedBytes} first.
     *
     * @param swap whether the storage holds big-endian elements
     */
    static RawTensor materialise(TensorRef t, byte[] storage, boolean swap) throws TorchCheckpointException {
        long bytes = checkedBytes(t, storage.length);
        int e = t.dtype().size();
        int[] shape = new int[t.size().length];
        for (int d = 0; d < shape.length; d++) shape[d] = (int) t.size()[d];
        if (bytes == storage.length && t.offset() == 0 && isContiguous(t) && !(swap && e > 1)) {
            return new RawTensor(t.dtype().storeType, shape, storage); // the whole storage as it is: no second copy in memory
        }
        byte[] out = new byte[(int) bytes];
        if (bytes > 0) {
            if (isContiguous(t)) {
                System.arraycopy(storage, (int) (t.offset() * e), out, 0, out.length);
            } else {
                gather(t, storage, out, e);
            }
            if (swap && e > 1) swapBytes(out, e);
        }
        return new RawTensor(t.dtype().storeType, shape, out);
    }

    /** Row-major strides, ignoring dimensions of size 1 (their stride never matters). */
    private static boolean isContiguous(TensorRef t) {
        long expected = 1;
        for (int d = t.size().length - 1; d >= 0; d--) {
            if (t.size()[d] != 1 && t.stride()[d] != expected) return false;
            expected *= t.size()[d];
        }
        return true;
    }

    /** Walks the view's indices like an odometer, without recursion over dimensions. */
    private static void gather(TensorRef t, byte[] storage, byte[] out, int e) {
        long[] size = t.size(), stride = t.stride();
        int dims = size.length;
        long[] index = new long[dims];
        long src = t.offset();
        int elements = out.length / e;
        for (int i = 0; i < elements; i++) {
            System.arraycopy(storage, (int) (src * e), out, i * e, e);
            for (int d = dims - 1; d >= 0; d--) {
                if (++index[d] < size[d]) {
                    src += stride[d];
                    break;
                }
                src -= (size[d] - 1) * stride[d];
                index[d] = 0;
            }
        }
    }

    private static void swapBytes(byte[] b, int e) {
        for (int i = 0; i < b.length; i += e) {
            for (int a = i, z = i + e - 1; a < z; a++, z--) {
                byte tmp = b[a];
                b[a] = b[z];
                b[z] = tmp;
            }
        }
    }

    private static long saturatingMultiply(long a, long b) {
        return b != 0 && a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
    }

    private static long saturatingAdd(long a, long b) {
        return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
    }
}
