package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Kernel argument marshalling, the kernel cache key and other pieces that need no GPU. */
class KernelPiecesTest {

    /** Reads argument i through the pointer array, as the driver would. */
    private static MemorySegment arg(MemorySegment pointers, int i, long size) {
        return MemorySegment.ofAddress(pointers.getAtIndex(JAVA_LONG, i)).reinterpret(size);
    }

    @Test
    void argumentsAreMarshalledIntoAlignedSlots() {
        CudaAllocator alloc = new CudaAllocator(new CudaAllocatorTest.FakeMemory(1L << 20));
        DeviceBuffer buf = alloc.allocate(64);
        KernelArgs args = new KernelArgs();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment struct = a.allocate(24);
            struct.set(JAVA_LONG, 8, 0x1234_5678_9abcL);
            MemorySegment p = args.pack(7, 2.5f, 1L << 40, buf, new DevicePointer(0xdead0), (short) -3, true, struct, 1.25);
            assertEquals(7, arg(p, 0, 4).get(JAVA_INT, 0));
            assertEquals(2.5f, arg(p, 1, 4).get(JAVA_FLOAT, 0));
            assertEquals(1L << 40, arg(p, 2, 8).get(JAVA_LONG, 0));
            assertEquals(buf.address(), arg(p, 3, 8).get(JAVA_LONG, 0));
            assertEquals(0xdead0L, arg(p, 4, 8).get(JAVA_LONG, 0));
            assertEquals((short) -3, arg(p, 5, 2).get(JAVA_SHORT, 0));
            assertEquals((byte) 1, arg(p, 6, 1).get(JAVA_BYTE, 0));
            assertEquals(0x1234_5678_9abcL, arg(p, 7, 24).get(JAVA_LONG, 8));
            assertEquals(0, pointerOffset(p, args, 7) % 16, "structs are 16-byte aligned");
            assertEquals(0, pointerOffset(p, args, 2) % 8, "8-byte values are 8-byte aligned");
            assertEquals(1.25, arg(p, 8, 8).get(java.lang.foreign.ValueLayout.JAVA_DOUBLE, 0));
        }
    }

    private static long pointerOffset(MemorySegment pointers, KernelArgs args, int i) {
        return pointers.getAtIndex(JAVA_LONG, i) - args.values().address();
    }

    @Test
    void badArgumentsAreRejectedWithTheirIndex() {
        KernelArgs args = new KernelArgs();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> args.pack(1, "text"));
        assertTrue(e.getMessage().contains("argument 1") && e.getMessage().contains("java.lang.String"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> args.pack(1, null));
        assertThrows(IllegalArgumentException.class, () -> args.pack(new Object[KernelArgs.MAX_ARGS + 1]));
    }

    @Test
    void cacheKeyDependsOnEverythingThatChangesTheImage() {
        String src = "extern \"C\" __global__ void k() {}";
        List<String> opts = List.of("-arch=sm_90", "--std=c++17");
        String key = KernelCache.cacheKey(src, opts, "sm_90", "13.0");
        assertEquals(32, key.length());
        assertTrue(key.matches("[0-9a-f]+"));
        assertEquals(key, KernelCache.cacheKey(src, List.copyOf(opts), "sm_90", "13.0"));
        assertNotEquals(key, KernelCache.cacheKey(src + " ", opts, "sm_90", "13.0"));
        assertNotEquals(key, KernelCache.cacheKey(src, List.of("-arch=sm_90", "--std=c++20"), "sm_90", "13.0"));
        assertNotEquals(key, KernelCache.cacheKey(src, opts, "sm_100", "13.0"));
        assertNotEquals(key, KernelCache.cacheKey(src, opts, "sm_90", "13.1"));
        // Joining must not blur boundaries: ["-a", "b"] differs from ["-ab"].
        assertNotEquals(KernelCache.cacheKey(src, List.of("-a", "b"), "x", "v"), KernelCache.cacheKey(src, List.of("-ab"), "x", "v"));
    }

    @Test
    void kernelSourcesAreOnTheClasspath() {
        String src = KernelCache.readResource("elementwise.cu");
        assertTrue(src.contains("extern \"C\" __global__ void axpb_f32"));
        CudaException e = assertThrows(CudaException.class, () -> KernelCache.readResource("nope.cu"));
        assertTrue(e.getMessage().contains("nope.cu"));
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3f80, Bf16.fromFloat(1.0f));
        assertEquals(1.0f, Bf16.toFloat(Bf16.fromFloat(1.0f)));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
        assertEquals((short) 0x3f80, Bf16.fromFloat(1.0f + 0x1p-8f));
        assertEquals((short) 0x3f82, Bf16.fromFloat(1.0f + 3 * 0x1p-8f));
        assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN))));
        assertEquals(Float.POSITIVE_INFINITY, Bf16.toFloat(Bf16.fromFloat(Float.POSITIVE_INFINITY)));
    }

    @Test
    void gemmShapesAreChecked() {
        Cublas.checkShapes(false, false, 3, 4, 5, 5, 4, 4, 1);
        Cublas.checkShapes(true, true, 3, 4, 5, 3, 5, 4, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cublas.checkShapes(false, false, 3, 4, 5, 4, 4, 4, 1));
        assertTrue(e.getMessage().contains("lda=4 < 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cublas.checkShapes(false, false, 3, 4, 5, 5, 4, 3, 1));
    }

    @Test
    void convGeometryComputesOutputSize() {
        ConvGeometry g = ConvGeometry.of(2, 3, 9, 9, 4, 3, 1, 2);
        assertEquals(5, g.outH());
        assertEquals(5, g.outW());
        ConvGeometry d = new ConvGeometry(1, 4, 10, 10, 6, 3, 3, 2, 2, 1, 1, 2, 2, 2);
        assertEquals(10, d.outH());
        assertEquals(6L * 2 * 9, d.filterElements());
        assertThrows(IllegalArgumentException.class, () -> ConvGeometry.of(1, 3, 2, 2, 4, 5, 0, 1));
    }

    @Test
    void dimensionsCoverTheElements() {
        assertEquals(Dim3.of(4), Dim3.blocksFor(1000, 256));
        assertEquals(Dim3.of(1), Dim3.blocksFor(0, 256));
        assertThrows(IllegalArgumentException.class, () -> Dim3.of(0));
    }
}
