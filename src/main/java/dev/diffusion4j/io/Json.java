package dev.diffusion4j.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader and writer over plain Java objects, plus typed getters, on Jackson.
 *
 * <p>Parsing gives {@code Map<String,Object>} (a {@link java.util.LinkedHashMap}, key order kept),
 * {@code List<Object>}, {@code String}, {@code Long} (a number with no fraction or exponent that
 * fits a long), {@code Double} (every other number), {@code Boolean} and {@code null}. The reader
 * is strict: no comments, trailing commas, NaN, leading zeros, unpaired surrogates or duplicate
 * keys. Writing accepts those types plus the other boxed numbers, enums (as their name),
 * {@code Iterable}s, Java arrays and records; NaN and infinities are refused. Config records are
 * bound by {@link ConfigJson}, which shares this setup.
 */
public final class Json {
    private Json() {}

    /**
     * Bounds on what one parse may consume: nesting depth (stack), text length and the number of
     * values (memory stays a small multiple of the text).
     */
    public record Limits(int maxDepth, int maxChars, long maxValues) {
        /** Generous for configs and checkpoint headers alike. */
        public static final Limits DEFAULT = new Limits(256, 64 << 20, 8_000_000);

        public Limits {
            if (maxDepth < 1 || maxChars < 0 || maxValues < 1) {
                throw new IllegalArgumentException("JSON limits must be positive: " + maxDepth + ", " + maxChars
                        + ", " + maxValues);
            }
        }
    }

    /** Parses one JSON value with {@link Limits#DEFAULT}. */
    public static Object parse(String text) {
        return parse(text, Limits.DEFAULT);
    }

    public static Object parse(String text, Limits limits) {
        if (text.length() > limits.maxChars()) {
            throw new JsonException("JSON text is " + text.length() + " chars, more than the limit of "
                    + limits.maxChars(), 0, 1, 1);
        }
        try (JsonParser p = JsonMappers.PLAIN.createParser(text)) {
            return new JsonValueReader(p, limits).readDocument();
        } catch (StreamReadException e) {
            throw JsonValueReader.translate(e);
        } catch (IOException e) {
            throw new JsonException("JSON error: " + e.getMessage());
        }
    }

    /** Parses strictly decoded UTF-8; malformed bytes are an error, not replacement characters. */
    public static Object parse(byte[] utf8, Limits limits) {
        if (utf8.length > (long) limits.maxChars() * 3) {
            // Checked before decoding so a huge input costs no char buffer.
            throw new JsonException("JSON text is " + utf8.length + " bytes, more than the limit allows ("
                    + limits.maxChars() + " chars)");
        }
        return parse(decodeUtf8(utf8), limits);
    }

    /** Parses a document whose top-level value must be an object. */
    public static Map<String, Object> parseObject(String text) {
        return asObject(parse(text));
    }

    public static Map<String, Object> parseObject(String text, Limits limits) {
        return asObject(parse(text, limits));
    }

    public static Map<String, Object> parseObject(byte[] utf8) {
        return asObject(parse(utf8, Limits.DEFAULT));
    }

    /** Compact JSON, no whitespace. */
    public static String write(Object value) {
        return write(JsonMappers.PLAIN.writer(), value);
    }

    /** Indented by two spaces; arrays stay on one line. */
    public static String writePretty(Object value) {
        return write(JsonMappers.prettyWriter(JsonMappers.PLAIN), value);
    }

    static String write(ObjectWriter writer, Object value) {
        try {
            return new String(writer.writeValueAsBytes(value), StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new JsonException(e.getOriginalMessage() + pathOf(e));
        }
    }

    /** " (at $.a[1])" for an error inside a document, else "". */
    static String pathOf(JsonProcessingException e) {
        if (!(e instanceof JsonMappingException m) || m.getPath().isEmpty()) return "";
        StringBuilder p = new StringBuilder(" (at $");
        List<JsonMappingException.Reference> path = m.getPath();
        for (JsonMappingException.Reference r : path.subList(0, Math.min(path.size(), 12))) {
            if (r.getFieldName() != null) p.append('.').append(r.getFieldName());
            else p.append('[').append(r.getIndex()).append(']');
        }
        // a structure that contains itself fails at the depth limit with a very long path
        return p.append(path.size() > 12 ? "...: does the structure contain itself?)" : ")").toString();
    }

    static String decodeUtf8(byte[] utf8) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8)).toString();
        } catch (MalformedInputException e) {
            throw new JsonException("invalid UTF-8 in JSON text (malformed input of length " + e.getInputLength() + ")");
        } catch (CharacterCodingException e) {
            throw new JsonException("invalid UTF-8 in JSON text: " + e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObject(Object v) {
        if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new JsonException("expected a JSON object at the top level, found " + describe(v));
    }

    // ---- typed getters for configs: a missing key or JSON null gives the default ----

    public static int getInt(Map<String, ?> map, String key, int defaultValue) {
        Object v = map.get(key);
        return v == null ? defaultValue : toInt(key, v);
    }

    public static long getLong(Map<String, ?> map, String key, long defaultValue) {
        Object v = map.get(key);
        return v == null ? defaultValue : toLong(key, v);
    }

    public static double getDouble(Map<String, ?> map, String key, double defaultValue) {
        Object v = map.get(key);
        return v == null ? defaultValue : toDouble(key, v);
    }

    public static boolean getBoolean(Map<String, ?> map, String key, boolean defaultValue) {
        Object v = map.get(key);
        if (v == null) return defaultValue;
        if (v instanceof Boolean b) return b;
        throw typeError(key, "true or false", v);
    }

    public static String getString(Map<String, ?> map, String key, String defaultValue) {
        Object v = map.get(key);
        if (v == null) return defaultValue;
        if (v instanceof String s) return s;
        throw typeError(key, "a string", v);
    }

    /** A nested object, or null when the key is missing. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> getObject(Map<String, ?> map, String key) {
        Object v = map.get(key);
        if (v == null || v instanceof Map<?, ?>) return (Map<String, Object>) v;
        throw typeError(key, "an object", v);
    }

    /** A nested array, or null when the key is missing. */
    @SuppressWarnings("unchecked")
    public static List<Object> getList(Map<String, ?> map, String key) {
        Object v = map.get(key);
        if (v == null || v instanceof List<?>) return (List<Object>) v;
        throw typeError(key, "an array", v);
    }

    /** An array of integers such as a shape or a channel multiplier list, or null when missing. */
    public static int[] getIntArray(Map<String, ?> map, String key) {
        List<Object> list = getList(map, key);
        if (list == null) return null;
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = list.get(i);
            if (v == null) throw typeError(key + "[" + i + "]", "an integer", null);
            out[i] = toInt(key + "[" + i + "]", v);
        }
        return out;
    }

    public static int requireInt(Map<String, ?> map, String key) {
        return toInt(key, require(map, key));
    }

    public static long requireLong(Map<String, ?> map, String key) {
        return toLong(key, require(map, key));
    }

    public static double requireDouble(Map<String, ?> map, String key) {
        return toDouble(key, require(map, key));
    }

    public static String requireString(Map<String, ?> map, String key) {
        Object v = require(map, key);
        if (v instanceof String s) return s;
        throw typeError(key, "a string", v);
    }

    public static boolean requireBoolean(Map<String, ?> map, String key) {
        Object v = require(map, key);
        if (v instanceof Boolean b) return b;
        throw typeError(key, "true or false", v);
    }

    private static Object require(Map<String, ?> map, String key) {
        Object v = map.get(key);
        if (v == null) {
            throw new JsonException("missing required key '" + key + "'"
                    + (map.containsKey(key) ? " (it is null)" : "; keys present: " + map.keySet()));
        }
        return v;
    }

    private static int toInt(String key, Object v) {
        long l = toLong(key, v);
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw new JsonException("key '" + key + "': " + l + " does not fit in a 32-bit integer");
        }
        return (int) l;
    }

    private static long toLong(String key, Object v) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        // 3.0 or 1e3 are integers written by tools that print every number as a double.
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) <= 0x1p53) return d.longValue();
        throw typeError(key, "an integer", v);
    }

    private static double toDouble(String key, Object v) {
        if (v instanceof Number n && !(v instanceof Double d && !Double.isFinite(d))) return n.doubleValue();
        throw typeError(key, "a number", v);
    }

    private static JsonException typeError(String key, String expected, Object found) {
        return new JsonException("key '" + key + "': expected " + expected + ", found " + describe(found));
    }

    /** A short description of a parsed value's type and content for error messages. */
    static String describe(Object v) {
        return switch (v) {
            case null -> "null";
            case String s -> "a string \"" + (s.length() > 40 ? s.substring(0, 37) + "..." : s) + "\"";
            case Boolean b -> b.toString();
            case Number n -> "the number " + n;
            case Map<?, ?> m -> "an object with " + m.size() + " keys";
            case List<?> l -> "an array of " + l.size() + " elements";
            default -> "a " + v.getClass().getSimpleName();
        };
    }
}
