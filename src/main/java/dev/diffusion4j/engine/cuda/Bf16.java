package dev.diffusion4j.engine.cuda;

/** bfloat16 bit conversions on the CPU, matching the device kernels' rounding. */
public final class Bf16 {
    private Bf16() {}

    /** Round to nearest even; NaN stays a quiet NaN. */
    public static short fromFloat(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 0x40);
        return (short) ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16);
    }

    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
