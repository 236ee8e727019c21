package dev.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class RawTensorTest {
    private static final int[] SHAPE = {2, 3};
    // Every value is exactly representable in F16 and BF16, so all float types round-trip exactly.
    private static final float[] VALUES = {1f, -2.5f, 0.5f, 0f, -0f, 96f};

    @Test
    void floatsRoundTripThroughEveryFloatType() {
        for (StoreType t : new StoreType[] {StoreType.F32, StoreType.F16, StoreType.BF16, StoreType.F64}) {
            RawTensor r = RawTensor.ofFloats(SHAPE, VALUES, t);
            assertEquals(t, r.type());
            assertArrayEquals(SHAPE, r.shape());
            assertEquals(6 * t.size(), r.data().length);
            assertArrayEquals(VALUES, r.toFloats(), t.name());
            assertArrayEquals(new double[] {1, -2.5, 0.5, 0, -0.0, 96}, r.toDoubles(), t.name());
        }
    }

    @Test
    void narrowingRoundsToNearestEven() {
        float[] in = {1f + 0x1p-11f, Float.intBitsToFloat(0x3F81_8000), 70000f};
        int[] shape = {3};
        // F16 keeps 10 fraction bits: a tie to even, an exact value, an overflow to infinity.
        assertArrayEquals(new float[] {1f, 1.01171875f, Float.POSITIVE_INFINITY},
                RawTensor.ofFloats(shape, in, StoreType.F16).toFloats());
        // BF16 keeps 7: below half an ulp, a tie rounded up to even, and 70000 rounded up to 70144.
        assertArrayEquals(new float[] {1f, 1.015625f, 70144f}, RawTensor.ofFloats(shape, in, StoreType.BF16).toFloats());
    }

    @Test
    void doublesStoreAsF64ExactlyAndF32Rounded() {
        double[] d = {0.1, -1e300, Math.PI};
        assertArrayEquals(d, RawTensor.ofDoubles(new int[] {3}, d, StoreType.F64).toDoubles());
        assertArrayEquals(new float[] {0.1f, Float.NEGATIVE_INFINITY, (float) Math.PI},
                RawTensor.ofDoubles(new int[] {3}, d, StoreType.F32).toFloats());
        assertThrows(IllegalArgumentException.class, () -> RawTensor.ofDoubles(new int[] {3}, d, StoreType.BF16));
    }

    @Test
    void integersRoundTripThroughEveryIntegerType() {
        long[] v = {0, 1, 100, 1, 0, 1};
        for (StoreType t : new StoreType[] {StoreType.I64, StoreType.I32, StoreType.I16, StoreType.I8, StoreType.U8, StoreType.BOOL}) {
            RawTensor r = RawTensor.ofLongs(SHAPE, t == StoreType.BOOL ? new long[] {0, 1, 1, 1, 0, 1} : v, t);
            assertArrayEquals(t == StoreType.BOOL ? new long[] {0, 1, 1, 1, 0, 1} : v, r.toLongs(), t.name());
        }
        long[] extremes = {Long.MIN_VALUE, Long.MAX_VALUE};
        assertArrayEquals(extremes, RawTensor.ofLongs(new int[] {2}, extremes, StoreType.I64).toLongs());
        long[] i32 = {Integer.MIN_VALUE, Integer.MAX_VALUE};
        assertArrayEquals(i32, RawTensor.ofLongs(new int[] {2}, i32, StoreType.I32).toLongs());
        assertArrayEquals(new long[] {255, 128}, RawTensor.ofLongs(new int[] {2}, new long[] {255, 128}, StoreType.U8).toLongs());
        assertArrayEquals(new long[] {-128, 127}, RawTensor.ofLongs(new int[] {2}, new long[] {-128, 127}, StoreType.I8).toLongs());
    }

    @Test
    void bytesAreLittleEndian() {
        assertEquals("0000803f", hex(RawTensor.ofFloats(new int[] {1}, new float[] {1f}, StoreType.F32)));
        assertEquals("003c", hex(RawTensor.ofFloats(new int[] {1}, new float[] {1f}, StoreType.F16)));
        assertEquals("803f", hex(RawTensor.ofFloats(new int[] {1}, new float[] {1f}, StoreType.BF16)));
        assertEquals("e803000000000000", hex(RawTensor.ofLongs(new int[] {1}, new long[] {1000}, StoreType.I64)));
        assertEquals("fdffffff", hex(RawTensor.ofLongs(new int[] {1}, new long[] {-3}, StoreType.I32)));
    }

    @Test
    void scalarsAndEmptyTensors() {
        RawTensor scalar = RawTensor.ofFloats(new int[] {}, new float[] {7f}, StoreType.F32);
        assertEquals(1, scalar.numel());
        assertArrayEquals(new float[] {7f}, scalar.toFloats());
        RawTensor empty = RawTensor.ofFloats(new int[] {0, 4}, new float[0], StoreType.F16);
        assertEquals(0, empty.numel());
        assertEquals(0, empty.toFloats().length);
    }

    @Test
    void rejectsInconsistentInput() {
        assertMessage(() -> RawTensor.ofFloats(SHAPE, new float[5], StoreType.F32), "shape [2, 3] has 6 elements, 5 values given");
        assertMessage(() -> new RawTensor(StoreType.F32, SHAPE, new byte[23]), "F32 tensor of shape [2, 3] needs 24 bytes, data has 23");
        assertMessage(() -> new RawTensor(StoreType.F32, new int[] {-1}, new byte[0]), "negative dimension");
        assertMessage(() -> new RawTensor(StoreType.F64, new int[] {1 << 30, 1 << 30, 1 << 30}, new byte[0]), "needs more bytes");
        assertMessage(() -> RawTensor.ofLongs(new int[] {2}, new long[] {1, 1L << 31}, StoreType.I32),
                "value 2147483648 at index 1 does not fit I32");
        assertMessage(() -> RawTensor.ofLongs(new int[] {1}, new long[] {2}, StoreType.BOOL), "does not fit BOOL");
        assertMessage(() -> RawTensor.ofLongs(new int[] {1}, new long[] {-1}, StoreType.U8), "does not fit U8");
        assertMessage(() -> RawTensor.ofLongs(new int[] {1}, new long[] {1}, StoreType.F32), "not F32");
        assertMessage(() -> RawTensor.ofFloats(new int[] {1}, new float[] {1}, StoreType.I64), "not I64");
        assertThrows(IllegalStateException.class, () -> RawTensor.ofLongs(new int[] {1}, new long[] {1}, StoreType.I64).toFloats());
        assertThrows(IllegalStateException.class, () -> RawTensor.ofFloats(new int[] {1}, new float[] {1}, StoreType.F32).toLongs());
    }

    @Test
    void comparesByContentAndProtectsItsShape() {
        RawTensor a = RawTensor.ofFloats(SHAPE, VALUES, StoreType.F32);
        RawTensor b = RawTensor.ofFloats(SHAPE, VALUES.clone(), StoreType.F32);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, RawTensor.ofFloats(new int[] {3, 2}, VALUES, StoreType.F32));
        a.shape()[0] = 99;
        assertArrayEquals(SHAPE, a.shape());
        assertEquals("RawTensor[F32 [2, 3], 24 bytes]", a.toString());
    }

    private static String hex(RawTensor t) {
        return HexFormat.of().formatHex(t.data());
    }

    private static void assertMessage(Runnable r, String what) {
        RuntimeException e = assertThrows(RuntimeException.class, r::run);
        assertTrue(e.getMessage().contains(what), e.getMessage());
    }
}
