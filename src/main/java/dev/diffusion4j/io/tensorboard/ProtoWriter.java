package dev.diffusion4j.io.tensorboard;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Encodes one protocol-buffers message, field by field, in the wire format (varints, fixed 32/64-bit little-endian
 * values, length-delimited bytes). Just what TensorBoard's Event and Summary messages need, so no protobuf library.
 */
final class ProtoWriter {
    private static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

    /** An int32/int64/enum field; negative values take ten bytes, as protobuf encodes them. */
    ProtoWriter varint(int field, long value) {
        tag(field, VARINT);
        rawVarint(value);
        return this;
    }

    ProtoWriter doubleValue(int field, double value) {
        tag(field, FIXED64);
        long bits = Double.doubleToRawLongBits(value);
        for (int i = 0; i < 8; i++) buf.write((int) (bits >>> (8 * i)));
        return this;
    }

    ProtoWriter floatValue(int field, float value) {
        tag(field, FIXED32);
        int bits = Float.floatToRawIntBits(value);
        for (int i = 0; i < 4; i++) buf.write(bits >>> (8 * i));
        return this;
    }

    ProtoWriter bytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(value.length);
        buf.writeBytes(value);
        return this;
    }

    ProtoWriter string(int field, String value) { return bytes(field, value.getBytes(StandardCharsets.UTF_8)); }

    ProtoWriter message(int field, ProtoWriter message) { return bytes(field, message.toByteArray()); }

    byte[] toByteArray() { return buf.toByteArray(); }

    private void tag(int field, int wireType) { rawVarint(((long) field << 3) | wireType); }

    private void rawVarint(long v) {
        while ((v & ~0x7FL) != 0) {
            buf.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        buf.write((int) v);
    }
}
