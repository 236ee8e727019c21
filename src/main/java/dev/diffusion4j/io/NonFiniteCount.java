package dev.diffusion4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * How many NaN and infinite values a stored tensor holds, counted in one pass over its raw bits (no conversion to
 * float, so F16 and BF16 cost the same as F32). Integer tensors hold neither.
 */
public record NonFiniteCount(long nan, long infinite) {

    public static NonFiniteCount of(RawTensor t) {
        ByteBuffer b = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        return switch (t.type()) {
            case F32 -> count(b.asIntBuffer());
            case F64 -> count(b.asLongBuffer());
            case F16 -> count(b.asShortBuffer(), 0x7c00, 0x03ff);
            case BF16 -> count(b.asShortBuffer(), 0x7f80, 0x007f);
            default -> new NonFiniteCount(0, 0);
        };
    }

    public boolean any() { return nan > 0 || infinite > 0; }

    /** "3 NaN values and 1 infinite value". */
    @Override public String toString() {
        String n = nan == 0 ? "" : nan + (nan == 1 ? " NaN value" : " NaN values");
        String i = infinite == 0 ? "" : infinite + (infinite == 1 ? " infinite value" : " infinite values");
        return n.isEmpty() ? i : i.isEmpty() ? n : n + " and " + i;
    }

    // An IEEE value is non-finite when its exponent bits are all ones; NaN when its mantissa is also non-zero.

    private static NonFiniteCount count(IntBuffer bits) {
        long nan = 0, inf = 0;
        while (bits.hasRemaining()) {
            int v = bits.get();
            if ((v & 0x7f800000) == 0x7f800000) {
                if ((v & 0x007fffff) != 0) nan++;
                else inf++;
            }
        }
        return new NonFiniteCount(nan, inf);
    }

    private static NonFiniteCount count(LongBuffer bits) {
        long nan = 0, inf = 0;
        while (bits.hasRemaining()) {
            long v = bits.get();
            if ((v & 0x7ff0000000000000L) == 0x7ff0000000000000L) {
                if ((v & 0x000fffffffffffffL) != 0) nan++;
                else inf++;
            }
        }
        return new NonFiniteCount(nan, inf);
    }

    private static NonFiniteCount count(ShortBuffer bits, int exponent, int mantissa) {
        long nan = 0, inf = 0;
        while (bits.hasRemaining()) {
            int v = bits.get();
            if ((v & exponent) == exponent) {
                if ((v & mantissa) != 0) nan++;
                else inf++;
            }
        }
        return new NonFiniteCount(nan, inf);
    }
}
