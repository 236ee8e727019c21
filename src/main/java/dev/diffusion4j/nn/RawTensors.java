package dev.diffusion4j.nn;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.io.StoreType;

/** Converts between engine tensors and io's file-level {@link RawTensor}s (the io layer knows nothing of the engine). */
public final class RawTensors {
    private RawTensors() {}

    /** The file type that holds a dtype exactly. */
    public static StoreType storeType(DType d) {
        return switch (d) {
            case F32 -> StoreType.F32;
            case F64 -> StoreType.F64;
            case BF16 -> StoreType.BF16;
            case F16 -> StoreType.F16;
            case I64 -> StoreType.I64;
            case I32 -> StoreType.I32;
        };
    }

    /** A host copy of t stored as {@code storeAs} (floating tensors may be narrowed, e.g. to BF16 for export). */
    public static RawTensor toRaw(Tensor t, StoreType storeAs) {
        int[] shape = t.shape();
        DType d = t.dtype();
        if (!d.isFloating()) return RawTensor.ofLongs(shape, t.toLongArray(), storeAs);
        if (!storeAs.isFloatingPoint())
            throw new IllegalArgumentException("a floating " + d.id() + " tensor cannot be stored as " + storeAs);
        // f64 goes to f64/f32 directly; 16-bit targets round once from f32 (exact for f32/bf16/f16 sources)
        if (d == DType.F64 && (storeAs == StoreType.F64 || storeAs == StoreType.F32))
            return RawTensor.ofDoubles(shape, t.toDoubleArray(), storeAs);
        return RawTensor.ofFloats(shape, t.toFloatArray(), storeAs);
    }

    public static RawTensor toRaw(Tensor t) { return toRaw(t, storeType(t.dtype())); }

    /** A CPU tensor: F64 stays F64, other floating types widen exactly to F32, I32 stays I32, other integers become I64. */
    public static Tensor fromRaw(RawTensor r) {
        int[] shape = r.shape();
        return switch (r.type()) {
            case F64 -> Tensor.of(r.toDoubles(), shape);
            case F32, F16, BF16 -> Tensor.of(r.toFloats(), shape);
            case I32 -> Tensor.ofLongs(r.toLongs(), shape).to(DType.I32);
            default -> Tensor.ofLongs(r.toLongs(), shape);
        };
    }
}
