package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import java.lang.foreign.MemorySegment;

/** fromArray / toArray: Java arrays in the types Backend documents, through {@link HostTransfer}. */
final class CudaHostCopy {
    private final CudaBackend backend;
    private final HostTransfer transfer;

    CudaHostCopy(CudaBackend backend, HostTransfer transfer) {
        this.backend = backend;
        this.transfer = transfer;
    }

    Tensor fromArray(Object hostArray, int[] shape, DType dtype) {
        int n = Shape.numelInt(shape);
        MemorySegment src = switch (dtype) {
            case F32 -> MemorySegment.ofArray(expect(hostArray, float[].class, dtype));
            case F64 -> MemorySegment.ofArray(expect(hostArray, double[].class, dtype));
            case I64 -> MemorySegment.ofArray(expect(hostArray, long[].class, dtype));
            case I32 -> MemorySegment.ofArray(expect(hostArray, int[].class, dtype));
            case BF16, F16 -> MemorySegment.ofArray(expect(hostArray, short[].class, dtype));
        };
        int len = java.lang.reflect.Array.getLength(hostArray);
        if (len != n) throw new IllegalArgumentException(len + " values do not fill shape " + Shape.str(shape));
        Tensor t = backend.alloc(shape, dtype);
        transfer.upload(src, CudaBackend.st(t).address(), (long) n * dtype.byteSize());
        return t;
    }

    private static <A> A expect(Object a, Class<A> type, DType dtype) {
        if (!type.isInstance(a))
            throw new IllegalArgumentException("fromArray: " + dtype.id() + " needs a " + type.getSimpleName() + ", got " + a.getClass().getSimpleName());
        return type.cast(a);
    }

    Object toArray(Tensor t) {
        Tensor c = t.isContiguous() ? t : backend.contiguous(t);
        int n = (int) c.numel();
        Object out = switch (c.dtype()) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I64 -> new long[n];
            case I32 -> new int[n];
            case BF16, F16 -> new short[n];
        };
        MemorySegment dst = switch (out) {
            case float[] a -> MemorySegment.ofArray(a);
            case double[] a -> MemorySegment.ofArray(a);
            case long[] a -> MemorySegment.ofArray(a);
            case int[] a -> MemorySegment.ofArray(a);
            case short[] a -> MemorySegment.ofArray(a);
            default -> throw new AssertionError();
        };
        transfer.download(CudaBackend.st(c).address(c.offset()), dst, (long) n * c.dtype().byteSize());
        java.lang.ref.Reference.reachabilityFence(c); // the copy took a raw address
        backend.checkErrorFlag();
        return out;
    }
}
