package dev.diffusion4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Lays out and writes a safetensors file. Tensors are ordered by element size class (the
 * {@link StoreType} declaration order, largest first) and then by name, compared as UTF-8 bytes:
 * the reference implementation's order, which keeps every tensor aligned to its element size
 * and makes the output independent of the caller's map order.
 */
final class SafeTensorsWriter {
    private final List<Map.Entry<String, RawTensor>> ordered;
    private final byte[] prefixAndHeader;

    /**
     * @param metadata written as "__metadata__"; null leaves the key out (an empty map writes {})
     */
    SafeTensorsWriter(Map<String, RawTensor> tensors, Map<String, String> metadata) {
        ordered = new ArrayList<>();
        for (Map.Entry<String, RawTensor> e : tensors.entrySet()) {
            String name = Objects.requireNonNull(e.getKey(), "tensor name");
            if (name.equals(SafeTensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("'" + name + "' is reserved for metadata and cannot name a tensor");
            }
            Objects.requireNonNull(e.getValue(), () -> "tensor '" + name + "' is null");
            ordered.add(Map.entry(name, e.getValue()));
        }
        ordered.sort(Comparator.<Map.Entry<String, RawTensor>>comparingInt(e -> -e.getValue().type().ordinal())
                .thenComparing((a, b) -> Arrays.compareUnsigned(utf8(a.getKey()), utf8(b.getKey()))));

        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null) {
            metadata.forEach((k, v) -> Objects.requireNonNull(v, () -> "metadata value of '" + k + "' is null"));
            header.put(SafeTensorsHeader.METADATA_KEY, metadata);
        }
        long offset = 0;
        for (Map.Entry<String, RawTensor> e : ordered) {
            RawTensor t = e.getValue();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.type().name());
            entry.put("shape", t.shape());
            entry.put("data_offsets", new long[] {offset, offset + t.data().length});
            offset += t.data().length;
            header.put(e.getKey(), entry);
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        // Pad with spaces (valid JSON whitespace) so the data starts 8-byte aligned, as the reference does.
        int padded = (json.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(json);
        while (b.hasRemaining()) b.put((byte) ' ');
        prefixAndHeader = b.array();
    }

    void writeTo(OutputStream out) throws IOException {
        out.write(prefixAndHeader);
        for (Map.Entry<String, RawTensor> e : ordered) out.write(e.getValue().data());
    }

    long totalBytes() {
        long n = prefixAndHeader.length;
        for (Map.Entry<String, RawTensor> e : ordered) n += e.getValue().data().length;
        return n;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
