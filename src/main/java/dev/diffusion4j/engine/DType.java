package dev.diffusion4j.engine;

/** Element types a tensor can hold. Floating types compute; integer types index; bf16/f16 are storage types for GPU mixed precision. */
public enum DType {
    F32(4, true), F64(8, true), BF16(2, true), F16(2, true), I64(8, false), I32(4, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) { this.byteSize = byteSize; this.floating = floating; }

    public int byteSize() { return byteSize; }
    public boolean isFloating() { return floating; }

    /** Lower-case name as used on the command line and in configs ("f32", "bf16"). */
    public String id() { return name().toLowerCase(java.util.Locale.ROOT); }

    /**
     * The type two floating operands of one elementwise op compute in, as PyTorch promotes: the wider one
     * (f64 over f32 over the 16-bit types; bf16 with f16 gives f32).
     */
    public static DType promote(DType a, DType b) {
        if (a == b) return a;
        if (!a.floating || !b.floating) throw new IllegalArgumentException("no common type for " + a.id() + " and " + b.id());
        if (a == F64 || b == F64) return F64;
        return F32;
    }

    public static DType parse(String s) {
        for (DType d : values()) if (d.id().equalsIgnoreCase(s) || d.name().equalsIgnoreCase(s)) return d;
        throw new IllegalArgumentException("unknown dtype '" + s + "': use one of f32, f64, bf16, f16, i64, i32");
    }
}
