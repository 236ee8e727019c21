package dev.diffusion4j.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict RFC 8259 parser into plain Java objects. Recursive descent, with the depth bounded by the
 * limits so hostile input cannot overflow the stack, and the number of values bounded so memory
 * stays a small multiple of the input size.
 */
final class JsonParser {
    private final String text;
    private final Json.Limits limits;
    private int pos;
    private long values;

    JsonParser(String text, Json.Limits limits) {
        this.text = text;
        this.limits = limits;
    }

    Object parseDocument() {
        if (text.length() > limits.maxChars()) {
            throw new JsonException("JSON text is " + text.length() + " chars, more than the limit of "
                    + limits.maxChars(), 0, 1, 1);
        }
        skipWhitespace();
        if (pos == text.length()) throw error("expected a JSON value, found end of input");
        Object value = value(0);
        skipWhitespace();
        if (pos < text.length()) throw error("expected end of input after the top-level value, found " + found());
        return value;
    }

    private Object value(int depth) {
        if (++values > limits.maxValues()) {
            throw error("more than " + limits.maxValues() + " values in one JSON document");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield number();
                throw error("expected a JSON value (object, array, string, number, true, false or null), found "
                        + found());
            }
        };
    }

    private Map<String, Object> object(int depth) {
        checkDepth(depth);
        int start = pos;
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key in the object that starts at offset " + start + ", found " + found());
            }
            int keyPos = pos;
            String key = string();
            skipWhitespace();
            if (peek() != ':') throw error("expected ':' after object key \"" + key + "\", found " + found());
            pos++;
            skipWhitespace();
            if (pos == text.length()) throw error("expected a value for key \"" + key + "\", found end of input");
            Object v = value(depth);
            if (map.containsKey(key)) {
                // A duplicate is ambiguous (which one wins differs between readers), so refuse it.
                throw errorAt(keyPos, "duplicate key \"" + key + "\" in object");
            }
            map.put(key, v);
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
                skipWhitespace();
                if (peek() == '}') throw error("trailing comma before '}' is not allowed in JSON");
            } else if (c == '}') {
                pos++;
                return map;
            } else {
                throw error("expected ',' or '}' after the value of key \"" + key + "\", found " + found());
            }
        }
    }

    private List<Object> array(int depth) {
        checkDepth(depth);
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            if (pos == text.length()) throw error("expected an array element, found end of input");
            list.add(value(depth));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
                skipWhitespace();
                if (peek() == ']') throw error("trailing comma before ']' is not allowed in JSON");
            } else if (c == ']') {
                pos++;
                return list;
            } else {
                throw error("expected ',' or ']' after array element " + (list.size() - 1) + ", found " + found());
            }
        }
    }

    private void checkDepth(int depth) {
        if (depth > limits.maxDepth()) {
            throw error("nesting deeper than the limit of " + limits.maxDepth() + " levels");
        }
    }

    private Object literal(String word, Object result) {
        if (!text.startsWith(word, pos)) {
            throw error("expected a JSON value (object, array, string, number, true, false or null), found "
                    + found());
        }
        pos += word.length();
        return result;
    }

    private String string() {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = null;
        int runStart = pos;
        while (true) {
            if (pos >= text.length()) throw errorAt(start, "unterminated string (no closing '\"')");
            char c = text.charAt(pos);
            if (c == '"') {
                String s = sb == null ? text.substring(runStart, pos)
                        : sb.append(text, runStart, pos).toString();
                pos++;
                return s;
            }
            if (c == '\\') {
                if (sb == null) sb = new StringBuilder();
                sb.append(text, runStart, pos);
                escape(sb);
                runStart = pos;
            } else if (c < 0x20) {
                throw error("unescaped control character " + codePoint(c) + " in string (escape it, e.g. \\n or \\u00"
                        + String.format("%02x", (int) c) + ")");
            } else if (Character.isHighSurrogate(c)) {
                if (pos + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(pos + 1))) {
                    throw error("unpaired surrogate " + codePoint(c) + " in string");
                }
                pos += 2;
            } else if (Character.isLowSurrogate(c)) {
                throw error("unpaired surrogate " + codePoint(c) + " in string");
            } else {
                pos++;
            }
        }
    }

    /** Decodes one escape sequence at pos (a backslash) and appends it. */
    private void escape(StringBuilder sb) {
        int escPos = pos;
        pos++;
        if (pos >= text.length()) throw errorAt(escPos, "unterminated escape sequence at end of input");
        char c = text.charAt(pos++);
        switch (c) {
            case '"' -> sb.append('"');
            case '\\' -> sb.append('\\');
            case '/' -> sb.append('/');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'u' -> {
                char u = hex4(escPos);
                if (Character.isHighSurrogate(u)) {
                    // A high surrogate is only valid when a \\u escape of a low surrogate follows.
                    if (text.startsWith("\\u", pos)) {
                        int lowPos = pos;
                        pos += 2;
                        char low = hex4(lowPos);
                        if (!Character.isLowSurrogate(low)) {
                            throw errorAt(escPos, "high surrogate \\u" + hex(u) + " followed by \\u" + hex(low)
                                    + ", which is not a low surrogate");
                        }
                        sb.append(u).append(low);
                    } else {
                        throw errorAt(escPos, "unpaired high surrogate \\u" + hex(u) + " (a low surrogate escape must follow)");
                    }
                } else if (Character.isLowSurrogate(u)) {
                    throw errorAt(escPos, "unpaired low surrogate \\u" + hex(u));
                } else {
                    sb.append(u);
                }
            }
            default -> throw errorAt(escPos, "invalid escape '\\" + printable(c)
                    + "' (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        }
    }

    private char hex4(int escPos) {
        if (pos + 4 > text.length()) throw errorAt(escPos, "\\u escape needs 4 hex digits, found end of input");
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            // Character.digit also accepts non-ASCII digits; JSON allows only [0-9a-fA-F].
            if (d < 0 || text.charAt(pos + i) > 'f') {
                throw errorAt(pos + i, "\\u escape needs 4 hex digits, found " + foundAt(pos + i));
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Object number() {
        int start = pos;
        boolean integer = true;
        if (peek() == '-') pos++;
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) throw errorAt(start, "leading zeros are not allowed in JSON numbers");
        } else if (isDigit(peek())) {
            while (isDigit(peek())) pos++;
        } else {
            throw error("expected a digit after '-', found " + found());
        }
        if (peek() == '.') {
            integer = false;
            pos++;
            if (!isDigit(peek())) throw error("expected a digit after the decimal point, found " + found());
            while (isDigit(peek())) pos++;
        }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            pos++;
            if (peek() == '+' || peek() == '-') pos++;
            if (!isDigit(peek())) throw error("expected a digit in the exponent, found " + found());
            while (isDigit(peek())) pos++;
        }
        String token = text.substring(start, pos);
        if (integer) {
            try {
                return Long.parseLong(token);
            } catch (NumberFormatException tooBig) {
                // Outside the long range: fall through to a double, as most JSON readers do.
            }
        }
        double d = Double.parseDouble(token);
        if (Double.isInfinite(d)) throw errorAt(start, "number " + abbreviate(token) + " is out of the double range");
        return d;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') pos++;
            else return;
        }
    }

    /** The char at pos, or 0 at end of input (0 never starts a valid token). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private String found() {
        return foundAt(pos);
    }

    private String foundAt(int at) {
        if (at >= text.length()) return "end of input";
        char c = text.charAt(at);
        if (c == '\uFEFF') return "U+FEFF (a byte order mark: save the file as UTF-8 without BOM)";
        if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) return codePoint(c);
        int cp = text.codePointAt(at);
        return "'" + new String(Character.toChars(cp)) + "'";
    }

    private static String printable(char c) {
        return c < 0x20 || c == 0x7f || Character.isSurrogate(c) ? codePoint(c) : String.valueOf(c);
    }

    private static String codePoint(char c) {
        return String.format("U+%04X", (int) c);
    }

    private static String hex(char c) {
        return String.format("%04x", (int) c);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    private JsonException error(String message) {
        return errorAt(pos, message);
    }

    private JsonException errorAt(int at, String message) {
        int line = 1;
        int lineStart = 0;
        int end = Math.min(at, text.length());
        for (int i = 0; i < end; i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        int column = at - lineStart + 1;
        return new JsonException("JSON error at line " + line + ", column " + column + " (offset " + at + "): "
                + message, at, line, column);
    }
}
