package dev.diffusion4j.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one JSON document from a Jackson parser into the plain objects {@link Json} documents (LinkedHashMap,
 * ArrayList, String, Long, Double, Boolean, null). Jackson checks the syntax and duplicate keys; this adds the
 * bounds of {@link Json.Limits} (depth before recursing, so hostile input cannot overflow the stack, and the
 * number of values) and refuses what Jackson lets through but a strict reader must not (numbers out of the
 * double range, unpaired surrogates).
 */
final class JsonValueReader {
    private final JsonParser p;
    private final Json.Limits limits;
    private long values;

    JsonValueReader(JsonParser p, Json.Limits limits) {
        this.p = p;
        this.limits = limits;
    }

    Object readDocument() throws IOException {
        JsonToken t = p.nextToken();
        if (t == null) throw error("expected a JSON value, found end of input");
        Object v = value(t, 0);
        if (p.nextToken() != null) throw error("expected end of input after the top-level value, found '" + abbreviate(p.getText()) + "'");
        return v;
    }

    private Object value(JsonToken t, int depth) throws IOException {
        if (++values > limits.maxValues()) throw error("more than " + limits.maxValues() + " values in one JSON document");
        return switch (t) {
            case START_OBJECT -> object(depth + 1);
            case START_ARRAY -> array(depth + 1);
            case VALUE_STRING -> checked(p.getText());
            case VALUE_NUMBER_INT -> integer();
            case VALUE_NUMBER_FLOAT -> finite(p.getDoubleValue());
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw error("unexpected " + t);
        };
    }

    /** A Long where it fits, else (past the long range) a Double, as most JSON readers do. */
    private Object integer() throws IOException {
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) return finite(p.getDoubleValue());
        return p.getLongValue();
    }

    private Map<String, Object> object(int depth) throws IOException {
        checkDepth(depth);
        Map<String, Object> map = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = checked(p.currentName());
            map.put(key, value(p.nextToken(), depth));
        }
        return map;
    }

    private List<Object> array(int depth) throws IOException {
        checkDepth(depth);
        List<Object> list = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) list.add(value(t, depth));
        return list;
    }

    private void checkDepth(int depth) throws StreamReadException {
        if (depth > limits.maxDepth()) throw error("nesting deeper than the limit of " + limits.maxDepth() + " levels");
    }

    private double finite(double d) throws IOException {
        // Jackson reads 1e400 as Infinity; JSON has no infinities, so the number is out of range, not infinite.
        if (Double.isInfinite(d)) throw error("number " + abbreviate(p.getText()) + " is out of the double range");
        return d;
    }

    private String checked(String s) throws StreamReadException {
        int at = unpairedSurrogate(s);
        if (at >= 0) throw error(String.format("unpaired surrogate U+%04X in string", (int) s.charAt(at)));
        return s;
    }

    /** The index of the first surrogate char that is not part of a pair, or -1. */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) return i;
        }
        return -1;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    private StreamReadException error(String message) {
        return new JsonParseException(p, message, p.currentTokenLocation());
    }

    /** A Jackson read error as a JsonException with its line, column and offset. */
    static JsonException translate(StreamReadException e) {
        JsonLocation loc = e.getLocation();
        if (loc == null) return new JsonException("JSON error: " + withoutSource(e.getOriginalMessage()));
        long offset = loc.getCharOffset() >= 0 ? loc.getCharOffset() : Math.max(0, loc.getByteOffset());
        int line = Math.max(1, loc.getLineNr());
        int column = Math.max(1, loc.getColumnNr());
        return new JsonException("JSON error at line " + line + ", column " + column + " (offset " + offset + "): "
                + withoutSource(e.getOriginalMessage()), offset, line, column);
    }

    /**
     * Jackson names a second position inside its message as "[Source: REDACTED (`StreamReadFeature...` disabled); line: 1,
     * column: 1]" (an unclosed object's start); the user needs only the line and column.
     */
    static String withoutSource(String message) {
        return message == null ? null : message.replaceAll("\\[Source: [^;\\]]*; (line: \\d+, column: \\d+)]", "$1");
    }
}
