package dev.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Known bit patterns; the same conversions were also checked against PyTorch on 2M random floats. */
class HalfFloatsTest {

    @Test
    void f16FromFloatKnownPatterns() {
        assertF16(0x3C00, 1.0f);
        assertF16(0xC100, -2.5f);
        assertF16(0x7BFF, 65504f);                          // largest finite
        assertF16(0x7BFF, 65519.99f);                       // just under half-way to 65536 rounds down
        assertF16(0x7C00, 65520f);                          // half-way: ties to even is infinity
        assertF16(0x0001, 0x1p-24f);                        // smallest subnormal
        assertF16(0x0000, 0x1p-25f);                        // half of it: tie to even, zero
        assertF16(0x0001, 0x1.8p-25f);                      // above the tie: rounds up
        assertF16(0x03FF, 1023 * 0x1p-24f);                 // largest subnormal
        assertF16(0x0400, 0x1p-14f);                        // smallest normal
        assertF16(0x3C00, 1f + 0x1p-11f);                   // tie between 1 and 1+2^-10: even is 1
        assertF16(0x3C02, 1f + 3 * 0x1p-11f);               // tie between odd and even: even wins
        assertF16(0x3C01, 1f + 0x1p-11f + 0x1p-20f);        // just past the tie
        assertF16(0x8000, -0.0f);
        assertF16(0x0000, 0.0f);
        assertF16(0x7C00, Float.POSITIVE_INFINITY);
        assertF16(0xFC00, Float.NEGATIVE_INFINITY);
        assertF16(0x7C00, 1e10f);
        assertF16(0x7E00, Float.NaN);
        assertTrue(Float.isNaN(HalfFloats.fromF16(HalfFloats.toF16(Float.intBitsToFloat(0x7F800001)))));
    }

    @Test
    void f16ToFloatKnownPatterns() {
        assertEquals(1.0f, HalfFloats.fromF16((short) 0x3C00));
        assertEquals(-2.5f, HalfFloats.fromF16((short) 0xC100));
        assertEquals(65504f, HalfFloats.fromF16((short) 0x7BFF));
        assertEquals(0x1p-24f, HalfFloats.fromF16((short) 0x0001));
        assertEquals(Float.floatToIntBits(-0.0f), Float.floatToIntBits(HalfFloats.fromF16((short) 0x8000)));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.fromF16((short) 0xFC00));
        assertTrue(Float.isNaN(HalfFloats.fromF16((short) 0x7E00)));
        assertTrue(Float.isNaN(HalfFloats.fromF16((short) 0x7C01)));
    }

    @Test
    void bf16FromFloatKnownPatterns() {
        assertBf16(0x3F80, 1.0f);
        assertBf16(0xC020, -2.5f);
        assertBf16(0x4040, 3.0f);
        assertBf16(0x3F80, bits(0x3F80_8000));              // tie, kept part even: down
        assertBf16(0x3F82, bits(0x3F81_8000));              // tie, kept part odd: up to even
        assertBf16(0x3F81, bits(0x3F80_8001));              // just past the tie: up
        assertBf16(0x3F80, bits(0x3F80_7FFF));              // just below the tie: down
        assertBf16(0x7F7F, bits(0x7F7F_7FFF));              // largest finite stays finite
        assertBf16(0x7F80, Float.MAX_VALUE);                // past half-way to 2^128: infinity
        assertBf16(0xFF80, -Float.MAX_VALUE);
        assertBf16(0x0001, bits(0x0001_0000));              // smallest bf16 subnormal
        assertBf16(0x0002, bits(0x0001_8000));              // subnormal tie to even
        assertBf16(0x0000, Float.MIN_VALUE);                // far below: zero
        assertBf16(0x0080, bits(0x007F_FFFF));              // largest float subnormal rounds up to the smallest normal
        assertBf16(0x8000, -0.0f);
        assertBf16(0x7F80, Float.POSITIVE_INFINITY);
        assertBf16(0xFF80, Float.NEGATIVE_INFINITY);
        assertBf16(0x7FC0, Float.NaN);
        assertBf16(0xFFC0, bits(0xFFC0_0000));
        // A NaN whose payload is only in the dropped half must stay NaN, not become infinity.
        assertBf16(0x7FC0, bits(0x7F80_0001));
    }

    @Test
    void bf16ToFloatKnownPatterns() {
        assertEquals(1.0f, HalfFloats.fromBf16((short) 0x3F80));
        assertEquals(-2.5f, HalfFloats.fromBf16((short) 0xC020));
        assertEquals(bits(0x0001_0000), HalfFloats.fromBf16((short) 0x0001));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.fromBf16((short) 0xFF80));
        assertTrue(Float.isNaN(HalfFloats.fromBf16((short) 0x7FC0)));
    }

    @Test
    void every16BitPatternSurvivesWidenAndNarrow() {
        for (int h = 0; h < 0x10000; h++) {
            short s = (short) h;
            float f16 = HalfFloats.fromF16(s);
            float bf = HalfFloats.fromBf16(s);
            if (!Float.isNaN(f16)) assertEquals(s, HalfFloats.toF16(f16), () -> "f16 " + Integer.toHexString(s & 0xffff));
            else assertTrue(Float.isNaN(HalfFloats.fromF16(HalfFloats.toF16(f16))));
            if (!Float.isNaN(bf)) assertEquals(s, HalfFloats.toBf16(bf), () -> "bf16 " + Integer.toHexString(s & 0xffff));
            else assertTrue(Float.isNaN(HalfFloats.fromBf16(HalfFloats.toBf16(bf))));
        }
    }

    private static float bits(int b) {
        return Float.intBitsToFloat(b);
    }

    private static void assertF16(int expected, float f) {
        assertEquals(expected, HalfFloats.toF16(f) & 0xffff,
                () -> "f16 of " + f + ": got 0x" + Integer.toHexString(HalfFloats.toF16(f) & 0xffff));
    }

    private static void assertBf16(int expected, float f) {
        assertEquals(expected, HalfFloats.toBf16(f) & 0xffff,
                () -> "bf16 of " + f + ": got 0x" + Integer.toHexString(HalfFloats.toBf16(f) & 0xffff));
    }
}
