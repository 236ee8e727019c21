package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Marshals Java values into cuLaunchKernel's {@code void** kernelParams}: one native block of
 * values and one array of pointers into it. The driver copies the values during the launch call,
 * so one instance per thread is reused for every launch, with no allocation.
 *
 * <p>Accepted: Integer, Float (4 bytes); Long, Double, DeviceBuffer, DevicePointer,
 * DeviceAddressable (8 bytes; the last three as device pointers); Short (2); Byte, Boolean (1); a MemorySegment is copied by value
 * (a struct argument, e.g. a tensor map), 16-byte aligned.
 */
final class KernelArgs {
    static final int MAX_ARGS = 64;
    static final int VALUE_BYTES = 4096;

    private static final ThreadLocal<KernelArgs> PER_THREAD = ThreadLocal.withInitial(KernelArgs::new);

    private final MemorySegment values;
    private final MemorySegment pointers;

    KernelArgs() {
        Arena arena = Arena.ofAuto(); // lives as long as this thread's instance
        values = arena.allocate(VALUE_BYTES, 16);
        pointers = arena.allocate(JAVA_LONG, MAX_ARGS);
    }

    static KernelArgs forThisThread() {
        return PER_THREAD.get();
    }

    /** Fills the buffers and returns the pointer array to hand to cuLaunchKernel. */
    MemorySegment pack(Object... args) {
        if (args.length > MAX_ARGS) throw new IllegalArgumentException("at most " + MAX_ARGS + " kernel arguments, got " + args.length);
        long base = values.address();
        long offset = 0;
        for (int i = 0; i < args.length; i++) {
            Object arg = args[i];
            int size = sizeOf(arg, i);
            int align = arg instanceof MemorySegment ? 16 : size;
            offset = (offset + align - 1) / align * align;
            if (offset + size > VALUE_BYTES) throw new IllegalArgumentException("kernel arguments exceed " + VALUE_BYTES + " bytes");
            switch (arg) {
                case Integer v -> values.set(JAVA_INT, offset, v);
                case Float v -> values.set(JAVA_FLOAT, offset, v);
                case Long v -> values.set(JAVA_LONG, offset, v);
                case Double v -> values.set(JAVA_DOUBLE, offset, v);
                case DeviceBuffer b -> values.set(JAVA_LONG, offset, b.address());
                case DevicePointer p -> values.set(JAVA_LONG, offset, p.address());
                case DeviceAddressable p -> values.set(JAVA_LONG, offset, p.deviceAddress());
                case Short v -> values.set(JAVA_SHORT, offset, v);
                case Byte v -> values.set(JAVA_BYTE, offset, v);
                case Boolean v -> values.set(JAVA_BYTE, offset, (byte) (v ? 1 : 0));
                case MemorySegment s -> MemorySegment.copy(s, 0, values, offset, size);
                default -> throw new AssertionError(arg);
            }
            pointers.setAtIndex(JAVA_LONG, i, base + offset);
            offset += size;
        }
        return pointers;
    }

    private static int sizeOf(Object arg, int index) {
        return switch (arg) {
            case Integer _, Float _ -> 4;
            case Long _, Double _, DeviceBuffer _, DevicePointer _, DeviceAddressable _ -> 8;
            case Short _ -> 2;
            case Byte _, Boolean _ -> 1;
            case MemorySegment s when s.byteSize() > 0 && s.byteSize() <= VALUE_BYTES -> (int) s.byteSize();
            case MemorySegment s -> throw new IllegalArgumentException("kernel argument " + index + " is a struct of "
                    + s.byteSize() + " bytes: by-value arguments must hold 1 to " + VALUE_BYTES + " bytes");
            case null -> throw new IllegalArgumentException("kernel argument " + index + " is null");
            default -> throw new IllegalArgumentException("kernel argument " + index + " has unsupported type "
                    + arg.getClass().getName() + " (use int, long, float, double, DeviceBuffer, DevicePointer or a MemorySegment struct)");
        };
    }

    /** The value block, for tests. */
    MemorySegment values() {
        return values;
    }
}
