package dev.diffusion4j.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and fully validated JSON header of a safetensors file. Validation needs only the
 * header and the size of the data buffer, so nothing proportional to claimed sizes is allocated
 * before every entry is known to fit the file.
 */
record SafeTensorsHeader(Map<String, String> metadata, List<TensorInfo> tensors) {
    static final String METADATA_KEY = "__metadata__";

    /** Root object, entry object, shape array: no legitimate header nests deeper. */
    private static final int MAX_DEPTH = 3;

    /**
     * About 160k tensors (real files hold thousands). A parsed entry costs about 660 bytes of heap,
     * so this bounds a hostile header to about 110 MB, whatever it packs into the 100 MB cap.
     */
    private static final long MAX_VALUES = 1_000_000;

    /**
     * @param json       the header bytes (UTF-8 JSON, possibly padded with trailing spaces)
     * @param bufferSize bytes in the file after the header
     */
    static SafeTensorsHeader parse(byte[] json, long bufferSize, Path file) throws SafeTensorsException {
        if (json.length == 0 || json[0] != '{') {
            throw new SafeTensorsException(file, null, "header does not start with '{' (found "
                    + (json.length == 0 ? "an empty header" : String.format("byte 0x%02x", json[0] & 0xff))
                    + "): not a safetensors file, or a corrupt one");
        }
        Map<String, Object> root;
        try {
            root = Json.parseObject(Json.decodeUtf8(json), new Json.Limits(MAX_DEPTH, json.length, MAX_VALUES));
        } catch (JsonException e) {
            throw new SafeTensorsException(file, null, "header is not valid JSON: " + e.getMessage());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, Object> e : root.entrySet()) {
            if (e.getKey().equals(METADATA_KEY)) {
                readMetadata(e.getValue(), metadata, file);
            } else {
                tensors.add(entry(e.getKey(), e.getValue(), file));
            }
        }
        checkCoverage(tensors, bufferSize, file);
        return new SafeTensorsHeader(Collections.unmodifiableMap(metadata), List.copyOf(tensors));
    }

    private static void readMetadata(Object value, Map<String, String> out, Path file) throws SafeTensorsException {
        if (!(value instanceof Map<?, ?> m)) {
            throw new SafeTensorsException(file, null, METADATA_KEY + " must be an object of strings, found "
                    + Json.describe(value));
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafeTensorsException(file, null, METADATA_KEY + " value of key '" + e.getKey()
                        + "' must be a string, found " + Json.describe(e.getValue()));
            }
            out.put((String) e.getKey(), s);
        }
    }

    private static TensorInfo entry(String name, Object value, Path file) throws SafeTensorsException {
        if (!(value instanceof Map<?, ?> m)) {
            throw new SafeTensorsException(file, name, "header entry must be an object with dtype, shape and "
                    + "data_offsets, found " + Json.describe(value));
        }
        Object dtype = m.get("dtype");
        if (!(dtype instanceof String dtypeName)) {
            throw new SafeTensorsException(file, name, "'dtype' must be a string such as \"F32\", found "
                    + (m.containsKey("dtype") ? Json.describe(dtype) : "no dtype"));
        }
        StoreType type = StoreType.fromHeaderName(dtypeName);
        if (type == null) {
            throw new SafeTensorsException(file, name, "unsupported dtype \"" + dtypeName + "\" (supported: "
                    + Arrays.toString(StoreType.values()) + ")");
        }
        int[] shape = shape(name, m.get("shape"), file);
        long[] offsets = offsets(name, m.get("data_offsets"), file);
        long numel = RawTensor.numel(shape);
        long needed = numel > Long.MAX_VALUE / type.size() ? Long.MAX_VALUE : numel * type.size();
        if (needed != offsets[1] - offsets[0]) {
            throw new SafeTensorsException(file, name, "shape " + Arrays.toString(shape) + " of " + type + " needs "
                    + (needed == Long.MAX_VALUE ? "more than 2^63 bytes" : SafeTensorsException.bytes(needed))
                    + ", but data_offsets " + Arrays.toString(offsets) + " span " + SafeTensorsException.bytes(offsets[1] - offsets[0]));
        }
        return new TensorInfo(name, type, shape, offsets[0], offsets[1]);
    }

    private static int[] shape(String name, Object value, Path file) throws SafeTensorsException {
        if (!(value instanceof List<?> list)) {
            throw new SafeTensorsException(file, name, "'shape' must be an array of non-negative integers, found "
                    + Json.describe(value));
        }
        int[] shape = new int[list.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(list.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw new SafeTensorsException(file, name, "'shape' must hold integers from 0 to " + Integer.MAX_VALUE
                        + ", found " + Json.describe(list.get(i)) + " at index " + i);
            }
            shape[i] = (int) (long) d;
        }
        return shape;
    }

    private static long[] offsets(String name, Object value, Path file) throws SafeTensorsException {
        if (!(value instanceof List<?> list) || list.size() != 2
                || !(list.get(0) instanceof Long begin) || !(list.get(1) instanceof Long end)) {
            throw new SafeTensorsException(file, name, "'data_offsets' must be [begin, end] with two integers, found "
                    + (value == null ? "none" : Json.write(value)));
        }
        if (begin < 0 || end < begin) {
            throw new SafeTensorsException(file, name, "'data_offsets' [" + begin + ", " + end
                    + "] must satisfy 0 <= begin <= end");
        }
        return new long[] {begin, end};
    }

    /** The spec requires the entries to tile the data buffer: no gaps, no overlaps, nothing left over. */
    private static void checkCoverage(List<TensorInfo> tensors, long bufferSize, Path file) throws SafeTensorsException {
        List<TensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long cursor = 0;
        TensorInfo previous = null;
        for (TensorInfo t : byOffset) {
            if (t.begin() < cursor) {
                throw new SafeTensorsException(file, t.name(), "data_offsets [" + t.begin() + ", " + t.end()
                        + "] overlap tensor '" + previous.name() + "' at [" + previous.begin() + ", " + previous.end() + "]");
            }
            if (t.begin() > cursor) {
                throw new SafeTensorsException(file, t.name(), "data_offsets start at " + t.begin() + ", leaving bytes "
                        + cursor + ".." + t.begin() + " of the data buffer in no tensor (the format allows no gaps)");
            }
            cursor = t.end();
            previous = t;
        }
        if (cursor > bufferSize) {
            throw new SafeTensorsException(file, null, "truncated: header says " + SafeTensorsException.bytes(cursor)
                    + " of tensor data, file has " + SafeTensorsException.bytes(bufferSize)
                    + " (an interrupted download or copy?)");
        }
        if (cursor < bufferSize) {
            throw new SafeTensorsException(file, null, "the file has " + SafeTensorsException.bytes(bufferSize - cursor)
                    + " after the last tensor's data that belong to no tensor (header covers "
                    + SafeTensorsException.bytes(cursor) + " of " + SafeTensorsException.bytes(bufferSize) + ")");
        }
    }
}
