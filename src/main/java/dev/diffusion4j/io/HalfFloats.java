package dev.diffusion4j.io;

/**
 * Bit-level conversions between float and the two 16-bit float formats. Narrowing rounds to
 * nearest, ties to even, overflows to infinity and keeps subnormals, signed zeros and NaN.
 */
public final class HalfFloats {
    private HalfFloats() {}

    /** IEEE 754 binary16 bits of f. The JDK's own conversion (Java 20+) is exact and intrinsified. */
    public static short toF16(float f) {
        return Float.floatToFloat16(f);
    }

    public static float fromF16(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** bfloat16 bits of f: the upper half of the float bits, rounded to nearest even. */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fff_ffff) > 0x7f80_0000) {
            // NaN: truncation could drop every payload bit and turn it into infinity, so force the quiet bit.
            return (short) ((bits >>> 16) | 0x0040);
        }
        // Adding 0x7fff plus the lowest kept bit rounds up past half-way, and at exactly half-way only
        // when the kept part is odd; a carry into the exponent gives the right power of two or infinity.
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lsb) >>> 16);
    }

    public static float fromBf16(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
