package dev.diffusion4j.io;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes plain Java objects as JSON. Pretty mode indents by two spaces and keeps arrays of scalars
 * on one line, so shapes and channel lists in configs stay readable.
 */
final class JsonWriter {
    /** Deep enough for any real config; a cycle in the input hits it instead of the stack limit. */
    static final int MAX_DEPTH = 512;

    private final StringBuilder out = new StringBuilder();
    private final boolean pretty;
    /** Keys and indices from the root to the value being written, for error messages. */
    private final List<Object> path = new ArrayList<>();

    JsonWriter(boolean pretty) {
        this.pretty = pretty;
    }

    String write(Object value) {
        value(value, 0);
        return out.toString();
    }

    private void value(Object v, int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels (does the structure contain itself?)");
        }
        switch (v) {
            case null -> out.append("null");
            case Boolean b -> out.append(b.booleanValue());
            case String s -> string(s);
            case Character c -> string(c.toString());
            case Enum<?> e -> string(e.name());
            case Double d -> finite(d, d.toString());
            case Float f -> finite(f, f.toString());
            case Long l -> out.append(l.longValue());
            case Integer i -> out.append(i.intValue());
            case Short s -> out.append(s.shortValue());
            case Byte b -> out.append(b.byteValue());
            case BigInteger bi -> out.append(bi);
            case BigDecimal bd -> out.append(bd);
            case Map<?, ?> m -> object(m, depth);
            case Iterable<?> it -> array(listOf(it), depth);
            case Object[] a -> array(Arrays.asList(a), depth);
            case int[] a -> array(Arrays.stream(a).boxed().toList(), depth);
            case long[] a -> array(Arrays.stream(a).boxed().toList(), depth);
            case double[] a -> array(Arrays.stream(a).boxed().toList(), depth);
            case float[] a -> {
                List<Object> l = new ArrayList<>(a.length);
                for (float x : a) l.add(x);
                array(l, depth);
            }
            case boolean[] a -> {
                List<Object> l = new ArrayList<>(a.length);
                for (boolean x : a) l.add(x);
                array(l, depth);
            }
            default -> throw error("cannot write a value of type " + v.getClass().getName() + " as JSON");
        }
    }

    private void finite(double d, String text) {
        // JSON has no NaN or Infinity; writing them would produce a file no strict reader accepts.
        if (!Double.isFinite(d)) throw error("cannot write non-finite number " + text + " as JSON");
        out.append(text);
    }

    private void object(Map<?, ?> m, int depth) {
        if (m.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw error("object keys must be strings, found " + (e.getKey() == null ? "null"
                        : e.getKey().getClass().getName() + " " + e.getKey()));
            }
            if (!first) out.append(',');
            first = false;
            newline(depth + 1);
            path.add(key);
            string(key);
            out.append(pretty ? ": " : ":");
            value(e.getValue(), depth + 1);
            path.removeLast();
        }
        newline(depth);
        out.append('}');
    }

    private void array(List<?> list, int depth) {
        if (list.isEmpty()) {
            out.append("[]");
            return;
        }
        boolean inline = !pretty || list.stream().noneMatch(JsonWriter::isContainer);
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) out.append(inline && pretty ? ", " : ",");
            if (!inline) newline(depth + 1);
            path.add(i);
            value(list.get(i), depth + 1);
            path.removeLast();
        }
        if (!inline) newline(depth);
        out.append(']');
    }

    private static boolean isContainer(Object v) {
        return v instanceof Map<?, ?> || v instanceof Iterable<?> || (v != null && v.getClass().isArray());
    }

    private static List<?> listOf(Iterable<?> it) {
        if (it instanceof List<?> l) return l;
        List<Object> l = new ArrayList<>();
        it.forEach(l::add);
        return l;
    }

    private void newline(int depth) {
        if (!pretty) return;
        out.append('\n');
        out.repeat(' ', 2 * depth);
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                // U+2028/2029 are valid in JSON but break JavaScript string literals; escaping costs nothing.
                case '\u2028', '\u2029' -> out.append(String.format("\\u%04x", (int) c));
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        // A lone surrogate cannot be encoded as UTF-8 and our strict reader refuses it.
                        throw error(String.format("string contains an unpaired surrogate U+%04X at index %d", (int) c, i));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private JsonException error(String message) {
        StringBuilder p = new StringBuilder("$");
        for (Object seg : path) {
            if (seg instanceof Integer i) p.append('[').append(i).append(']');
            else p.append('.').append(seg);
        }
        return new JsonException(message + " (at " + p + ")");
    }
}
