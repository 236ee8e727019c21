package dev.diffusion4j.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading and writing the safetensors format: an 8-byte little-endian header length N, N bytes of
 * UTF-8 JSON naming each tensor's dtype, shape and byte range, then the little-endian, row-major
 * tensor data. Reading validates the whole header against the file size before loading any data;
 * writing is atomic. See {@link SafeTensorsFile} for lazy, per-tensor reading.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Opens a file for lazy reading after validating its header. */
    public static SafeTensorsFile open(Path file) throws IOException {
        return SafeTensorsFile.open(file);
    }

    /** Loads every tensor, in header order. */
    public static Map<String, RawTensor> read(Path file) throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            return f.readAll();
        }
    }

    /** Writes the tensors without metadata; see {@link #write(Path, Map, Map)}. */
    public static void write(Path file, Map<String, RawTensor> tensors) throws IOException {
        write(file, tensors, null);
    }

    /**
     * Writes atomically: the file is either the old one or the complete new one, even after a crash.
     * Tensors are laid out in the reference implementation's order (larger element types first,
     * then by name), whatever the map's order.
     *
     * @param metadata string pairs stored under "__metadata__"; null writes none
     */
    public static void write(Path file, Map<String, RawTensor> tensors, Map<String, String> metadata) throws IOException {
        SafeTensorsWriter writer = new SafeTensorsWriter(tensors, metadata);
        AtomicFiles.write(file, writer::writeTo);
    }

    /** The bytes of a safetensors file holding the tensors; for files under 2 GiB. */
    public static byte[] toBytes(Map<String, RawTensor> tensors, Map<String, String> metadata) {
        SafeTensorsWriter writer = new SafeTensorsWriter(tensors, metadata);
        if (writer.totalBytes() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the file would be " + SafeTensorsException.bytes(writer.totalBytes())
                    + ", too large for one byte array; write it to a file instead");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) writer.totalBytes());
        try {
            writer.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    /**
     * Strict state-dict check: the loaded tensors must have exactly the expected names and shapes.
     * Throws naming the first mismatch (missing key, unexpected key, or both shapes) and how many more
     * there are.
     */
    public static void checkKeys(Map<String, int[]> expected, Map<String, RawTensor> actual) throws SafeTensorsException {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        actual.forEach((k, v) -> shapes.put(k, v.shape()));
        checkShapes(expected, shapes);
    }

    /** As {@link #checkKeys}, for shapes only, e.g. from {@link SafeTensorsFile#shapes()} before loading. */
    public static void checkShapes(Map<String, int[]> expected, Map<String, int[]> actual) throws SafeTensorsException {
        List<String> problems = shapeProblems(expected, actual);
        if (problems.isEmpty()) return;
        StringBuilder msg = new StringBuilder("state dict does not match the model: ").append(problems.getFirst());
        if (problems.size() > 1) {
            long missing = problems.stream().filter(p -> p.startsWith("missing")).count();
            long unexpected = problems.stream().filter(p -> p.startsWith("unexpected")).count();
            long shape = problems.size() - missing - unexpected;
            msg.append(" (and ").append(problems.size() - 1).append(" more problems; in all ").append(missing)
                    .append(" missing, ").append(unexpected).append(" unexpected, ").append(shape)
                    .append(" with a different shape)");
        }
        throw new SafeTensorsException(null, null, msg.toString());
    }

    /**
     * Every difference between expected and actual names and shapes: first the expected keys that are
     * missing or differ in shape (in expected order), then the unexpected keys (in actual order).
     */
    public static List<String> shapeProblems(Map<String, int[]> expected, Map<String, int[]> actual) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            int[] got = actual.get(e.getKey());
            if (got == null) {
                problems.add("missing key '" + e.getKey() + "' (expected shape " + Arrays.toString(e.getValue()) + ")"
                        + (problems.isEmpty() ? similarName(e.getKey(), actual, expected) : ""));
            } else if (!Arrays.equals(got, e.getValue())) {
                problems.add("shape mismatch for '" + e.getKey() + "': model expects " + Arrays.toString(e.getValue())
                        + ", file has " + Arrays.toString(got));
            }
        }
        for (String k : actual.keySet()) {
            if (!expected.containsKey(k)) problems.add("unexpected key '" + k + "' (shape " + Arrays.toString(actual.get(k)) + ")");
        }
        return problems;
    }

    /** A hint when names differ only by a prefix, as with "module." from PyTorch's DataParallel. */
    private static String similarName(String missing, Map<String, int[]> actual, Map<String, int[]> expected) {
        for (String k : actual.keySet()) {
            if (expected.containsKey(k)) continue;
            if (k.endsWith("." + missing) || missing.endsWith("." + k)) {
                return "; the file has '" + k + "': do the names differ by a prefix?";
            }
        }
        return "";
    }
}
