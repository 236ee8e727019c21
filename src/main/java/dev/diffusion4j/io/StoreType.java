package dev.diffusion4j.io;

/**
 * Element types a safetensors file can hold that this library reads and writes. Local to io on
 * purpose: the engine has its own DType and maps to and from this one.
 *
 * <p>Declared in the reference implementation's dtype order; the writer lays tensors out by
 * descending declaration order (then name), as the reference does, so files come out
 * byte-identical and every tensor's data is aligned to its element size.
 */
public enum StoreType {
    BOOL(1), U8(1), I8(1), I16(2), F16(2), BF16(2), I32(4), F32(4), F64(8), I64(8);

    private final int size;

    StoreType(int size) {
        this.size = size;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    public boolean isFloatingPoint() {
        return this == F16 || this == BF16 || this == F32 || this == F64;
    }

    /** The type named as in a safetensors header ("F32", "BF16", ...), or null if unknown here. */
    public static StoreType fromHeaderName(String name) {
        for (StoreType t : values()) {
            if (t.name().equals(name)) return t;
        }
        return null;
    }
}
