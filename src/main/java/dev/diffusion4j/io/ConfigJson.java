package dev.diffusion4j.io;

import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Config and state records to and from JSON, strictly: records are bound directly by Jackson ({@link JsonMappers#CONFIG});
 * optional keys take the defaults the records declare ({@link RecordKeys}); every problem is one
 * {@link ConfigException} that names the file and the key: an unknown or duplicate key, a missing key or
 * section, a value of the wrong type, a value the record refuses, a syntax error (with its line), or a file over
 * {@link #MAX_BYTES}. A mistyped key is refused, never read as a default.
 */
public final class ConfigJson {
    private ConfigJson() {}

    /** Far above any real config; read no further than this, so a huge or endless file costs nothing. */
    public static final int MAX_BYTES = 16 << 20;

    /** Reads a record of {@code type} from a JSON file. */
    public static <T> T read(Path file, Class<T> type) {
        return bind(readObject(file), type, file.toString());
    }

    /** The top-level JSON object of a file (size-capped, strictly parsed), for callers that check a header key first. */
    public static Map<String, Object> readObject(Path file) {
        String source = file.toString();
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("file not found: " + file, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (bytes.length > MAX_BYTES)
            throw new ConfigException(source, "is larger than " + (MAX_BYTES >> 20) + " MiB, far more than any config; not a config file?");
        Object doc;
        try {
            doc = Json.parse(bytes, Json.Limits.DEFAULT);
        } catch (JsonException e) {
            throw new ConfigException(source, e.getMessage());
        }
        if (!(doc instanceof Map<?, ?>)) throw new ConfigException(source, "expected a JSON object, found " + Json.describe(doc));
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) doc;
        return m;
    }

    /**
     * Binds parsed JSON (as {@link Json} parses it) to a record of {@code type}; {@code source} names the origin in
     * messages. The map is not changed.
     */
    public static <T> T bind(Map<String, ?> json, Class<T> type, String source) {
        Map<String, Object> filled = deepCopy(json);
        RecordKeys.fillDefaults(filled, type, "", source);
        try {
            return JsonMappers.CONFIG.convertValue(filled, type);
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof JsonMappingException m) throw translate(m, filled, type, source);
            throw new ConfigException(source, String.valueOf(e.getMessage()));
        }
    }

    /** A record as a JSON object (snake_case keys, component order), ready for {@link Json#writePretty}. */
    public static Map<String, Object> toMap(Record value) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = JsonMappers.CONFIG.convertValue(value, LinkedHashMap.class);
        return m;
    }

    /** The record made of the declared defaults alone (a record whose keys are all optional). */
    public static <T> T defaults(Class<T> type) {
        return bind(Map.of(), type, type.getSimpleName() + " defaults");
    }

    private static ConfigException translate(JsonMappingException e, Map<String, Object> json, Class<?> type, String source) {
        List<Object> path = new ArrayList<>();
        for (JsonMappingException.Reference r : e.getPath()) path.add(r.getFieldName() != null ? r.getFieldName() : (Object) r.getIndex());
        if (e instanceof UnrecognizedPropertyException u) {
            List<Object> parent = path.isEmpty() ? path : path.subList(0, path.size() - 1);
            Class<?> owner = RecordKeys.raw(RecordKeys.typeAt(type, parent, json));
            String known = owner.isRecord() ? "; known keys: " + String.join(", ", RecordKeys.keys(owner)) : "";
            return new ConfigException(source, prefix(parent) + "unknown key '" + u.getPropertyName() + "'" + known);
        }
        if (e instanceof ValueInstantiationException && e.getCause() != null) {
            // the record's own validation (a value out of range, an unknown name): its message says what is wrong
            ConfigException c = new ConfigException(source, prefix(path) + e.getCause().getMessage());
            c.initCause(e.getCause());
            return c;
        }
        var expectedType = RecordKeys.typeAt(type, path, json);
        Object found = RecordKeys.valueAt(json, path);
        if (expectedType != null) {
            String range = e.getCause() instanceof InputCoercionException ? " (out of range)" : "";
            return new ConfigException(source, prefix(path) + "expected " + RecordKeys.expected(expectedType) + ", got " + RecordKeys.shown(found) + range);
        }
        return new ConfigException(source, prefix(path) + e.getOriginalMessage());
    }

    /** "model.channel_mult[1]: " for a path, "" for the top level. */
    private static String prefix(List<Object> path) {
        if (path.isEmpty()) return "";
        StringBuilder sb = new StringBuilder();
        for (Object step : path) {
            if (step instanceof Integer i) sb.append('[').append(i).append(']');
            else sb.append(sb.isEmpty() ? "" : ".").append(step);
        }
        return sb.append(": ").toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v instanceof Map<?, ?> n ? deepCopy((Map<String, ?>) n) : v));
        return out;
    }
}
