package dev.diffusion4j.io.tensorboard;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TensorBoard event-file reader for tests, written apart from the writer: its own bitwise CRC32C, its own TFRecord
 * framing checks and a generic protobuf field decoder, so a mistake in the writer is not mirrored here.
 */
public final class EventFileReader {
    private EventFileReader() {}

    /** One decoded Event: what the tests look at. */
    public record Event(double wallTime, long step, String fileVersion, List<Value> values, Integer sessionStatus) {}

    /** A Summary.Value: a scalar (image null) or an image (simpleValue NaN). */
    public record Value(String tag, float simpleValue, Image image) {}

    public record Image(int height, int width, int colorspace, byte[] png) {}

    /** Bitwise CRC32C (Castagnoli, reflected polynomial 0x82F63B78). */
    public static int crc32c(byte[] b, int off, int len) {
        int crc = 0xFFFFFFFF;
        for (int i = off; i < off + len; i++) {
            crc ^= b[i] & 0xFF;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
        }
        return ~crc;
    }

    public static int masked(int crc) { return Integer.rotateRight(crc, 15) + 0xa282ead8; }

    /** Every record's data, checking both CRCs of each and that nothing trails the last record. */
    public static List<byte[]> records(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 12) throw new IllegalStateException("torn record header at " + b.position());
            byte[] lenBytes = new byte[8];
            b.get(lenBytes);
            long len = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (b.getInt() != masked(crc32c(lenBytes, 0, 8))) throw new IllegalStateException("bad length CRC at record " + out.size());
            if (len < 0 || len > b.remaining() - 4) throw new IllegalStateException("record " + out.size() + " runs past the end");
            byte[] data = new byte[(int) len];
            b.get(data);
            if (b.getInt() != masked(crc32c(data, 0, data.length))) throw new IllegalStateException("bad data CRC at record " + out.size());
            out.add(data);
        }
        return out;
    }

    public static List<Event> events(Path file) throws IOException {
        List<Event> out = new ArrayList<>();
        for (byte[] r : records(file)) out.add(event(r));
        return out;
    }

    static Event event(byte[] data) {
        Map<Integer, List<Object>> f = fields(data);
        double wall = f.containsKey(1) ? Double.longBitsToDouble((Long) f.get(1).get(0)) : Double.NaN;
        long step = f.containsKey(2) ? (Long) f.get(2).get(0) : 0;
        String version = f.containsKey(3) ? new String((byte[]) f.get(3).get(0), StandardCharsets.UTF_8) : null;
        List<Value> values = new ArrayList<>();
        if (f.containsKey(5))
            for (Object v : fields((byte[]) f.get(5).get(0)).getOrDefault(1, List.of())) values.add(value((byte[]) v));
        Integer status = f.containsKey(6) ? (int) (long) (Long) fields((byte[]) f.get(6).get(0)).get(1).get(0) : null;
        return new Event(wall, step, version, values, status);
    }

    private static Value value(byte[] data) {
        Map<Integer, List<Object>> f = fields(data);
        String tag = new String((byte[]) f.get(1).get(0), StandardCharsets.UTF_8);
        float simple = f.containsKey(2) ? Float.intBitsToFloat((Integer) f.get(2).get(0)) : Float.NaN;
        Image img = null;
        if (f.containsKey(4)) {
            Map<Integer, List<Object>> i = fields((byte[]) f.get(4).get(0));
            img = new Image((int) (long) (Long) i.get(1).get(0), (int) (long) (Long) i.get(2).get(0), (int) (long) (Long) i.get(3).get(0),
                    (byte[]) i.get(4).get(0));
        }
        return new Value(tag, simple, img);
    }

    /** Field number -> values in order: Long (varint, fixed64), Integer (fixed32) or byte[] (length-delimited). */
    public static Map<Integer, List<Object>> fields(byte[] data) {
        Map<Integer, List<Object>> out = new LinkedHashMap<>();
        int[] pos = {0};
        while (pos[0] < data.length) {
            long key = varint(data, pos);
            int field = (int) (key >>> 3), wire = (int) (key & 7);
            Object v = switch (wire) {
                case 0 -> varint(data, pos);
                case 1 -> { long x = ByteBuffer.wrap(data, pos[0], 8).order(ByteOrder.LITTLE_ENDIAN).getLong(); pos[0] += 8; yield x; }
                case 5 -> { int x = ByteBuffer.wrap(data, pos[0], 4).order(ByteOrder.LITTLE_ENDIAN).getInt(); pos[0] += 4; yield x; }
                case 2 -> {
                    int len = (int) varint(data, pos);
                    byte[] x = java.util.Arrays.copyOfRange(data, pos[0], pos[0] + len);
                    if (x.length != len || pos[0] + len > data.length) throw new IllegalStateException("field " + field + " runs past the end");
                    pos[0] += len;
                    yield x;
                }
                default -> throw new IllegalStateException("wire type " + wire + " of field " + field);
            };
            out.computeIfAbsent(field, k -> new ArrayList<>()).add(v);
        }
        return out;
    }

    private static long varint(byte[] d, int[] pos) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = d[pos[0]++];
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new IllegalStateException("varint longer than 10 bytes");
    }
}
