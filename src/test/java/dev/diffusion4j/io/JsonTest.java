package dev.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesScalarsToTheDocumentedTypes() {
        assertEquals(42L, Json.parse("42"));
        assertEquals(-7L, Json.parse("-7"));
        assertEquals(0L, Json.parse("0"));
        assertEquals(1.5, Json.parse("1.5"));
        assertEquals(1000.0, Json.parse("1e3"));
        assertEquals(-2.5e-3, Json.parse("-2.5E-3"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        // Past the long range: a double, as most JSON readers do.
        assertEquals(9.223372036854775808e18, Json.parse("9223372036854775808"));
        assertEquals(Boolean.TRUE, Json.parse("true"));
        assertEquals(Boolean.FALSE, Json.parse(" false "));
        assertNull(Json.parse("null"));
        assertEquals("hi", Json.parse("\"hi\""));
    }

    @Test
    void parsesNestedStructuresKeepingKeyOrder() {
        Object v = Json.parse("""
                {"z": 1, "a": [1, 2.0, {"deep": [[], {}]}], "m": {"b": null, "a": true}}
                """);
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("z", "a", "m"), new ArrayList<>(m.keySet()));
        List<?> a = (List<?>) m.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(2.0, a.get(1));
        assertEquals(Map.of("deep", List.of(List.of(), Map.of())), a.get(2));
        Map<?, ?> inner = (Map<?, ?>) m.get("m");
        assertEquals(List.of("b", "a"), new ArrayList<>(inner.keySet()));
        assertTrue(inner.containsKey("b"));
        assertNull(inner.get("b"));
    }

    @Test
    void decodesEscapesAndUnicode() {
        assertEquals("a\"b\\c/d\be\ff\ng\rh\ti", Json.parse("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\""));
        assertEquals("é", Json.parse("\"\\u00e9\""));
        assertEquals("é", Json.parse("\"\\u00E9\""));
        assertEquals("\u0000", Json.parse("\"\\u0000\""));
        // U+1F600 as a surrogate pair escape, and raw.
        assertEquals("😀", Json.parse("\"\\ud83d\\ude00\""));
        assertEquals("x😀y", Json.parse("\"x😀y\""));
        assertEquals("日本", Json.parse("\"日本\""));
        assertEquals("日本", Json.parse("\"日本\"".getBytes(StandardCharsets.UTF_8), Json.Limits.DEFAULT));
    }

    @Test
    void rejectsMalformedInputWithPositionAndExpectation() {
        // Syntax errors come from Jackson's parser, with its wording; each names the line and column.
        assertError("", "line 1, column 1", "expected a JSON value, found end of input");
        assertError("{\"a\": 1,}", "column 9", "was expecting double-quote to start field name");
        assertError("[1, 2,]", "column 7", "expected a valid value");
        assertError("{\"a\" 1}", "column 6", "was expecting a colon");
        assertError("{a: 1}", "column 2", "was expecting double-quote");
        assertError("\"abc", "column 5", "was expecting closing quote");
        assertError("\"a\nb\"", "column 3", "CTRL-CHAR, code 10");
        assertError("\"\\x\"", "column 3", "Unrecognized character escape 'x'");
        assertError("\"\\u12g4\"", "column 6", "expected a hex-digit");
        assertError("\"\\ud83d\"", "column 1", "unpaired surrogate U+D83D");
        assertError("\"\\ude00\"", "column 1", "unpaired surrogate U+DE00");
        assertError("\"\\ud83d\\u0041\"", "column 1", "unpaired surrogate U+D83D");
        assertError("012", "column 2", "Leading zeroes not allowed");
        assertError("-", "column 2", "No digit following sign");
        assertError("1.", "column 2", "Decimal point not followed by a digit");
        assertError("1e+", "column 4", "expected a digit for number exponent");
        assertError("1e400", "column 1", "out of the double range");
        assertError("NaN", "column 4", "Non-standard token 'NaN'");
        assertError("tru", "column 1", "Unrecognized token 'tru'");
        assertError("[1] x", "column 5", "Unrecognized token 'x'");
        assertError("[1] 2", "column 5", "expected end of input after the top-level value, found '2'");
        assertError("// c\n1", "column 1", "comment");
        assertError("{\"a\": 1, \"a\": 2}", "column 13", "Duplicate field 'a'");
        assertError("\uFEFF{}", "column 1", "0xfeff");
        assertError("[\n  1,\n  @]", "line 3, column 3", "Unexpected character ('@'");
        // an unclosed object (a metadata.jsonl line cut short) names where it started, without Jackson's source note
        String cut = assertThrows(JsonException.class, () -> Json.parse("{\"a\": 1")).getMessage();
        assertTrue(cut.endsWith("expected close marker for Object (start marker at line: 1, column: 1)"), cut);
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] bad = {'"', (byte) 0xC3, '"'};
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(bad, Json.Limits.DEFAULT));
        assertTrue(e.getMessage().contains("invalid UTF-8"), e.getMessage());
    }

    @Test
    void limitsStopHostileInputEarly() {
        // 100k nested arrays would overflow the stack of a naive recursive parser.
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nesting deeper than the limit of 256"), e.getMessage());

        Json.Limits small = new Json.Limits(4, 100, 10);
        assertEquals(List.of(List.of(List.of(List.of()))), Json.parse("[[[[]]]]", small));
        assertThrows(JsonException.class, () -> Json.parse("[[[[[]]]]]", small));
        e = assertThrows(JsonException.class, () -> Json.parse(" ".repeat(101), small));
        assertTrue(e.getMessage().contains("more than the limit of 100"), e.getMessage());
        e = assertThrows(JsonException.class, () -> Json.parse("[1,2,3,4,5,6,7,8,9,10]", small));
        assertTrue(e.getMessage().contains("more than 10 values"), e.getMessage());
    }

    @Test
    void writesCompactAndPretty() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "unet");
        m.put("channels", new int[] {1, 2, 2});
        m.put("lr", 1e-4);
        m.put("steps", 1000L);
        m.put("ema", true);
        m.put("none", null);
        m.put("empty", List.of());
        m.put("blocks", List.of(Map.of("a", 1)));
        assertEquals("{\"name\":\"unet\",\"channels\":[1,2,2],\"lr\":1.0E-4,\"steps\":1000,\"ema\":true,"
                + "\"none\":null,\"empty\":[],\"blocks\":[{\"a\":1}]}", Json.write(m));
        assertEquals("""
                {
                  "name": "unet",
                  "channels": [1, 2, 2],
                  "lr": 1.0E-4,
                  "steps": 1000,
                  "ema": true,
                  "none": null,
                  "empty": [],
                  "blocks": [{
                    "a": 1
                  }]
                }""", Json.writePretty(m));
    }

    @Test
    void writerEscapesAndRoundTrips() {
        String tricky = "q\" b\\ nl\n cr\r tab\t nul\u0000 bell\u0007 del\u007f é 日 😀";
        String json = Json.write(tricky);
        assertEquals("\"q\\\" b\\\\ nl\\n cr\\r tab\\t nul\\u0000 bell\\u0007 del\u007f é 日 😀\"", json);
        assertEquals(tricky, Json.parse(json));

        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("x", List.of(1L, -2.5, "s", false, Map.of()));
        doc.put("nested", Map.of("deeper", List.of(List.of(3L))));
        doc.put("small", 4.9e-324);
        doc.put("big", 1.7976931348623157e308);
        assertEquals(doc, Json.parse(Json.write(doc)));
        assertEquals(doc, Json.parse(Json.writePretty(doc)));
    }

    @Test
    void writerRejectsWhatJsonCannotHold() {
        assertWriteError(Double.NaN, "non-finite number NaN");
        assertWriteError(Map.of("a", List.of(1.0, Float.POSITIVE_INFINITY)), "non-finite number Infinity as JSON (at $.a[1])");
        assertWriteError(new Object(), "No serializer found for class java.lang.Object");
        assertWriteError("bad \ud800 surrogate", "unpaired surrogate U+D800");
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        assertWriteError(cycle, "does the structure contain itself?");
        record Point(int x, double y) {}
        assertWriteError(List.of(new Point(1, Double.NaN)), "non-finite number NaN as JSON (at $[0].y)");
    }

    @Test
    void typedGettersForConfigs() {
        Map<String, Object> cfg = Json.parseObject(
                "{\"steps\": 1000, \"lr\": 0.0001, \"three\": 3.0, \"half\": 2.5, \"name\": \"ddpm\", "
                        + "\"ema\": false, \"mult\": [1, 2, 4], \"nul\": null, \"huge\": 99999999999, \"sub\": {\"k\": 1}}");
        assertEquals(1000, Json.getInt(cfg, "steps", 1));
        assertEquals(7, Json.getInt(cfg, "missing", 7));
        assertEquals(7, Json.getInt(cfg, "nul", 7));
        assertEquals(3, Json.getInt(cfg, "three", 0));
        assertEquals(99999999999L, Json.getLong(cfg, "huge", 0));
        assertEquals(1e-4, Json.getDouble(cfg, "lr", 0));
        assertEquals(1000.0, Json.getDouble(cfg, "steps", 0));
        assertEquals("ddpm", Json.getString(cfg, "name", null));
        assertEquals(false, Json.getBoolean(cfg, "ema", true));
        assertArrayEquals(new int[] {1, 2, 4}, Json.getIntArray(cfg, "mult"));
        assertEquals(Map.of("k", 1L), Json.getObject(cfg, "sub"));
        assertEquals(1000, Json.requireInt(cfg, "steps"));
        assertEquals("ddpm", Json.requireString(cfg, "name"));

        assertGetterError(() -> Json.getInt(cfg, "half", 0), "key 'half': expected an integer, found the number 2.5");
        assertGetterError(() -> Json.getInt(cfg, "name", 0), "key 'name': expected an integer, found a string \"ddpm\"");
        assertGetterError(() -> Json.getInt(cfg, "huge", 0), "does not fit in a 32-bit integer");
        assertGetterError(() -> Json.getBoolean(cfg, "steps", false), "expected true or false, found the number 1000");
        assertGetterError(() -> Json.getString(cfg, "mult", ""), "expected a string, found an array of 3 elements");
        assertGetterError(() -> Json.requireInt(cfg, "absent"), "missing required key 'absent'; keys present: [steps");
        assertGetterError(() -> Json.requireDouble(cfg, "nul"), "missing required key 'nul' (it is null)");
        assertGetterError(() -> Json.parseObject("[1]"), "expected a JSON object at the top level, found an array");
    }

    private static void assertError(String text, String where, String what) {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(text), () -> "no error for " + text);
        assertTrue(e.getMessage().contains(where) && e.getMessage().contains(what),
                () -> "for " + Arrays.toString(text.toCharArray()) + " got: " + e.getMessage());
        assertTrue(e.line() >= 1 && e.column() >= 1 && e.offset() >= 0);
    }

    private static void assertWriteError(Object value, String what) {
        JsonException e = assertThrows(JsonException.class, () -> Json.write(value));
        assertTrue(e.getMessage().contains(what), e.getMessage());
    }

    private static void assertGetterError(Runnable r, String what) {
        JsonException e = assertThrows(JsonException.class, r::run);
        assertTrue(e.getMessage().contains(what), e.getMessage());
    }
}
