package dev.diffusion4j.io;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a config record expects in JSON, read from the record itself: each component's key (snake_case, as
 * {@link JsonMappers#CONFIG} names it) and, for optional keys, the default declared as
 * {@code @JsonProperty(defaultValue = "...")} (JSON text, or the plain text for strings and enums). A key without
 * a default is required. Missing keys are filled before binding, so a config written before a field existed
 * still loads, while an unknown (e.g. mistyped) key is refused and never becomes a default.
 */
final class RecordKeys {
    private RecordKeys() {}

    private static final PropertyNamingStrategies.NamingBase SNAKE = (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    static String key(RecordComponent c) {
        JsonProperty p = c.getAccessor().getAnnotation(JsonProperty.class);
        return p != null && !p.value().isEmpty() ? p.value() : SNAKE.translate(c.getName());
    }

    /**
     * Fills the missing optional keys of {@code json} (for record type {@code type}, and its nested records) with their
     * defaults; a missing required key is a ConfigException naming it.
     */
    static void fillDefaults(Map<String, Object> json, Class<?> type, String path, String source) {
        JsonTypeInfo typeInfo = type.getAnnotation(JsonTypeInfo.class);
        if (typeInfo != null && !type.isRecord()) type = subtype(type, typeInfo, json, path, source);
        // unknown keys first: a mistyped key is reported as itself, not as the missing key it was meant to be
        List<String> known = keys(type);
        String typeKey = typeInfo != null ? typeInfo.property() : null;
        for (String k : json.keySet()) {
            if (!known.contains(k) && !k.equals(typeKey))
                throw new ConfigException(source, (path.isEmpty() ? "" : path + ": ") + "unknown key '" + k + "'; known keys: " + String.join(", ", known));
        }
        for (RecordComponent c : type.getRecordComponents()) {
            String key = key(c);
            if (!json.containsKey(key)) {
                JsonProperty p = c.getAccessor().getAnnotation(JsonProperty.class);
                if (p == null || p.defaultValue().isEmpty()) throw missing(source, path, key, c.getType());
                json.put(key, defaultValue(c, p.defaultValue()));
            }
            if ((c.getType().isRecord() || c.getType().isAnnotationPresent(JsonTypeInfo.class)) && json.get(key) instanceof Map<?, ?> nested) {
                @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) nested;
                fillDefaults(m, c.getType(), path.isEmpty() ? key : path + "." + key, source);
            }
        }
    }

    /**
     * The record type a polymorphic section stands for (an interface with {@code @JsonTypeInfo} naming its type key and
     * {@code @JsonSubTypes}): the subtype the type key names, or the declared default when the key is absent.
     */
    private static Class<?> subtype(Class<?> type, JsonTypeInfo info, Map<String, Object> json, String path, String source) {
        Object name = json.get(info.property());
        if (name == null && info.defaultImpl() != JsonTypeInfo.class) return info.defaultImpl();
        JsonSubTypes subs = type.getAnnotation(JsonSubTypes.class);
        List<String> names = new ArrayList<>();
        for (JsonSubTypes.Type t : subs.value()) {
            if (t.name().equals(name)) return t.value();
            names.add(t.name());
        }
        throw new ConfigException(source, (path.isEmpty() ? "" : path + ": ") + info.property() + " " + shown(name)
                + " is not one of " + String.join(", ", names));
    }

    /** The default of an optional key as a parsed JSON value (a fresh copy each time: callers may fill it further). */
    private static Object defaultValue(RecordComponent c, String text) {
        if (c.getType() == String.class || c.getType().isEnum()) return text;
        try {
            return Json.parse(text);
        } catch (JsonException e) {
            throw new IllegalStateException("bad defaultValue on " + c.getDeclaringRecord().getSimpleName() + "." + c.getName() + ": " + text, e);
        }
    }

    private static ConfigException missing(String source, String path, String key, Class<?> type) {
        if (path.isEmpty() && (type.isRecord() || type.isInterface())) return new ConfigException(source, " has no '" + key + "' section");
        return new ConfigException(source, (path.isEmpty() ? "" : path + ": ") + "missing key '" + key + "'");
    }

    /** The JSON keys of a record type, in component order. */
    static List<String> keys(Class<?> type) {
        List<String> out = new ArrayList<>();
        for (RecordComponent c : type.getRecordComponents()) out.add(key(c));
        return out;
    }

    /**
     * The Java type found at a path of keys (String) and indices (Integer) from a record type, or null where the path
     * leaves what the records declare.
     */
    static Type typeAt(Class<?> root, List<Object> path, Object json) {
        Type t = root;
        Object value = json;
        for (Object step : path) {
            if (t instanceof Class<?> c && !c.isRecord() && value instanceof Map<?, ?> m
                    && c.getAnnotation(JsonTypeInfo.class) instanceof JsonTypeInfo info) {
                @SuppressWarnings("unchecked") Map<String, Object> section = (Map<String, Object>) m;
                t = subtype(c, info, section, "", "");   // a polymorphic section: the record its type key names
            }
            t = step(t, step);
            if (t == null) return null;
            value = valueAt(value, List.of(step));
        }
        return t;
    }

    private static Type step(Type t, Object step) {
        return switch (step) {
            case String key when t instanceof Class<?> c && c.isRecord() -> componentType(c, key);
            case String key when t instanceof ParameterizedType p && Map.class.isAssignableFrom(raw(p)) -> p.getActualTypeArguments()[1];
            case Integer i when t instanceof Class<?> c && c.isArray() -> c.getComponentType();
            case Integer i when t instanceof ParameterizedType p && List.class.isAssignableFrom(raw(p)) -> p.getActualTypeArguments()[0];
            default -> null;
        };
    }

    private static Type componentType(Class<?> record, String key) {
        for (RecordComponent c : record.getRecordComponents()) if (key(c).equals(key)) return c.getGenericType();
        return null;
    }

    static Class<?> raw(Type t) {
        if (t instanceof Class<?> c) return c;
        if (t instanceof ParameterizedType p) return (Class<?>) p.getRawType();
        return Object.class;
    }

    /** The value of a parsed JSON document at a path, or null. */
    static Object valueAt(Object json, List<Object> path) {
        Object v = json;
        for (Object step : path) {
            if (step instanceof String k && v instanceof Map<?, ?> m) v = m.get(k);
            else if (step instanceof Integer i && v instanceof List<?> l && i >= 0 && i < l.size()) v = l.get(i);
            else return null;
        }
        return v;
    }

    /** "an integer", "a number", ... for an expected Java type. */
    static String expected(Type type) {
        Class<?> c = raw(type);
        if (c == int.class || c == long.class || c == short.class || c == byte.class || c == Integer.class || c == Long.class
                || c == Short.class || c == Byte.class) return "an integer";
        if (c == double.class || c == float.class || c == Double.class || c == Float.class) return "a number";
        if (c == boolean.class || c == Boolean.class) return "true or false";
        if (c == String.class) return "a string";
        if (c.isEnum()) {
            List<String> names = new ArrayList<>();
            for (Object e : c.getEnumConstants()) names.add(((Enum<?>) e).name().toLowerCase(java.util.Locale.ROOT));
            return "one of " + String.join(", ", names);
        }
        if (c.isArray() || List.class.isAssignableFrom(c)) return "an array";
        if (c.isRecord() || Map.class.isAssignableFrom(c)) return "an object";
        return "a " + c.getSimpleName();
    }

    /** A JSON value as a message shows it: "abc" quoted, numbers and literals as written, containers by kind. */
    static String shown(Object v) {
        return switch (v) {
            case null -> "null";
            case String s -> Json.write(s.length() > 40 ? s.substring(0, 37) + "..." : s);
            case Map<?, ?> m -> "an object";
            case List<?> l -> "an array";
            default -> String.valueOf(v);
        };
    }
}
