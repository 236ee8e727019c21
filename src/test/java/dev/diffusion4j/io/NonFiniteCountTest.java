package dev.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class NonFiniteCountTest {
    private static final float[] VALUES = {1f, Float.NaN, -0f, Float.POSITIVE_INFINITY, 3e38f, Float.NaN,
        Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -2.5f, Float.NaN};

    @Test
    void countsNanAndInfinitiesInEveryFloatType() {
        for (StoreType t : new StoreType[] {StoreType.F32, StoreType.F64, StoreType.F16, StoreType.BF16}) {
            // 3e38 overflows F16 to infinity when stored; BF16 keeps float's exponent range
            long inf = t == StoreType.F16 ? 3 : 2;
            assertEquals(new NonFiniteCount(3, inf), NonFiniteCount.of(RawTensor.ofFloats(new int[] {2, 5}, VALUES, t)), t.name());
        }
    }

    @Test
    void finiteAndIntegerTensorsHoldNone() {
        float[] finite = {0f, -0f, 1e-40f, -3.4e38f, 3.4e38f, 1f};
        NonFiniteCount none = NonFiniteCount.of(RawTensor.ofFloats(new int[] {6}, finite, StoreType.F32));
        assertFalse(none.any());
        // bit patterns that would be NaN as floats are plain numbers in integer tensors
        assertFalse(NonFiniteCount.of(RawTensor.ofLongs(new int[] {2}, new long[] {0x7fc00000L, -1}, StoreType.I64)).any());
        assertFalse(NonFiniteCount.of(RawTensor.ofLongs(new int[] {2}, new long[] {0x7fc00000L, -1}, StoreType.I32)).any());
    }

    @Test
    void describesTheCounts() {
        assertEquals("3 NaN values and 1 infinite value", new NonFiniteCount(3, 1).toString());
        assertEquals("1 NaN value", new NonFiniteCount(1, 0).toString());
        assertEquals("2 infinite values", new NonFiniteCount(0, 2).toString());
    }
}
