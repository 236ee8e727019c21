package dev.diffusion4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor as it is stored in a file: element type, shape (row-major, C order) and the raw
 * little-endian bytes. Engine-neutral on purpose; the engine converts from and to its own Tensor.
 *
 * <p>The shape is copied in and out; the data array is not (tensors can be large), so it belongs to
 * the RawTensor once passed in and must not be changed through the array returned by {@link #data()}.
 */
public record RawTensor(StoreType type, int[] shape, byte[] data) {

    public RawTensor {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
        long n = numel(shape);
        long expected = n > Integer.MAX_VALUE ? Long.MAX_VALUE : n * type.size();
        if (expected != data.length) {
            throw new IllegalArgumentException(type + " tensor of shape " + Arrays.toString(shape) + " needs "
                    + (n > Integer.MAX_VALUE ? "more" : String.valueOf(expected)) + " bytes, data has " + data.length);
        }
    }

    /** A copy of the shape. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements: the product of the shape (1 for a scalar, shape []). */
    public long numel() {
        return numel(shape);
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            // Saturate instead of overflowing: a huge claimed shape must fail the size checks, not wrap.
            n = d != 0 && n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d;
        }
        return n;
    }

    // ---- building from Java arrays ----

    /** Stores floats as F32, F16, BF16 (rounded to nearest even) or F64 (exact). */
    public static RawTensor ofFloats(int[] shape, float[] values, StoreType storeAs) {
        checkCount(shape, values.length);
        byte[] bytes = new byte[values.length * storeAs.size()];
        ByteBuffer b = le(bytes);
        switch (storeAs) {
            case F32 -> b.asFloatBuffer().put(values);
            case F64 -> {
                for (float v : values) b.putDouble(v);
            }
            case F16 -> {
                ShortBuffer s = b.asShortBuffer();
                for (float v : values) s.put(HalfFloats.toF16(v));
            }
            case BF16 -> {
                ShortBuffer s = b.asShortBuffer();
                for (float v : values) s.put(HalfFloats.toBf16(v));
            }
            default -> throw new IllegalArgumentException("floats can be stored as F32, F16, BF16 or F64, not " + storeAs);
        }
        return new RawTensor(storeAs, shape, bytes);
    }

    /**
     * Stores doubles as F64, or as F32 rounded once. 16-bit types are left out: going through float
     * would round twice, so convert to float[] first if that is what you want.
     */
    public static RawTensor ofDoubles(int[] shape, double[] values, StoreType storeAs) {
        checkCount(shape, values.length);
        byte[] bytes = new byte[values.length * storeAs.size()];
        ByteBuffer b = le(bytes);
        switch (storeAs) {
            case F64 -> b.asDoubleBuffer().put(values);
            case F32 -> {
                for (double v : values) b.putFloat((float) v);
            }
            default -> throw new IllegalArgumentException("doubles can be stored as F64 or F32, not " + storeAs);
        }
        return new RawTensor(storeAs, shape, bytes);
    }

    /** Stores integers as I64, I32, I16, I8, U8 or BOOL (0 or 1); a value out of range is an error. */
    public static RawTensor ofLongs(int[] shape, long[] values, StoreType storeAs) {
        checkCount(shape, values.length);
        if (storeAs.isFloatingPoint()) {
            throw new IllegalArgumentException("integers can be stored as I64, I32, I16, I8, U8 or BOOL, not " + storeAs);
        }
        long min = switch (storeAs) {
            case I64 -> Long.MIN_VALUE;
            case I32 -> Integer.MIN_VALUE;
            case I16 -> Short.MIN_VALUE;
            case I8 -> Byte.MIN_VALUE;
            default -> 0;
        };
        long max = switch (storeAs) {
            case I64 -> Long.MAX_VALUE;
            case I32 -> Integer.MAX_VALUE;
            case I16 -> Short.MAX_VALUE;
            case I8 -> Byte.MAX_VALUE;
            case U8 -> 255;
            default -> 1;
        };
        byte[] bytes = new byte[values.length * storeAs.size()];
        ByteBuffer b = le(bytes);
        for (int i = 0; i < values.length; i++) {
            long v = values[i];
            if (v < min || v > max) {
                throw new IllegalArgumentException("value " + v + " at index " + i + " does not fit " + storeAs
                        + " (range " + min + ".." + max + ")");
            }
            switch (storeAs.size()) {
                case 8 -> b.putLong(v);
                case 4 -> b.putInt((int) v);
                case 2 -> b.putShort((short) v);
                default -> b.put((byte) v);
            }
        }
        return new RawTensor(storeAs, shape, bytes);
    }

    // ---- reading into Java arrays ----

    /** The values as floats, from F32 (exact), F16 and BF16 (exact) or F64 (rounded). */
    public float[] toFloats() {
        int n = (int) numel();
        float[] out = new float[n];
        ByteBuffer b = le(data);
        switch (type) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < n; i++) out[i] = (float) b.getDouble();
            }
            case F16 -> {
                ShortBuffer s = b.asShortBuffer();
                for (int i = 0; i < n; i++) out[i] = HalfFloats.fromF16(s.get());
            }
            case BF16 -> {
                ShortBuffer s = b.asShortBuffer();
                for (int i = 0; i < n; i++) out[i] = HalfFloats.fromBf16(s.get());
            }
            default -> throw new IllegalStateException("toFloats() needs a floating-point tensor; this one is " + type
                    + " (use toLongs())");
        }
        return out;
    }

    /** The values as doubles, exact from every floating-point type. */
    public double[] toDoubles() {
        if (type == StoreType.F64) {
            double[] out = new double[(int) numel()];
            le(data).asDoubleBuffer().get(out);
            return out;
        }
        float[] f = toFloats();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) out[i] = f[i];
        return out;
    }

    /** The values as longs, from any integer type; U8 is unsigned, BOOL gives 0 or 1. */
    public long[] toLongs() {
        int n = (int) numel();
        long[] out = new long[n];
        ByteBuffer b = le(data);
        switch (type) {
            case I64 -> b.asLongBuffer().get(out);
            case I32 -> {
                for (int i = 0; i < n; i++) out[i] = b.getInt();
            }
            case I16 -> {
                for (int i = 0; i < n; i++) out[i] = b.getShort();
            }
            case I8 -> {
                for (int i = 0; i < n; i++) out[i] = data[i];
            }
            case U8 -> {
                for (int i = 0; i < n; i++) out[i] = data[i] & 0xff;
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) out[i] = data[i] != 0 ? 1 : 0;
            }
            default -> throw new IllegalStateException("toLongs() needs an integer tensor; this one is " + type
                    + " (use toFloats())");
        }
        return out;
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void checkCount(int[] shape, int count) {
        long n = numel(shape);
        if (n != count) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n + " elements, "
                    + count + " values given");
        }
    }

    // Records compare arrays by identity; tensors must compare by content.
    @Override
    public boolean equals(Object o) {
        return o instanceof RawTensor t && type == t.type && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, Arrays.hashCode(shape), Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "RawTensor[" + type + " " + Arrays.toString(shape) + ", " + data.length + " bytes]";
    }
}
