package dev.diffusion4j.io.torch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the state dict inside a checkpoint: a key path such as {@code ema} or {@code model.state_dict} walks nested
 * dicts; the object reached must map names to tensors. Descriptions look one or two levels deep at most, so a deep or
 * cyclic hostile object is never walked.
 */
final class KeyPaths {
    private KeyPaths() {}

    /** The object at the path; null or empty path means the root. Each step takes the longest dotted key present. */
    static Object select(Object root, String path) throws TorchCheckpointException {
        if (path == null || path.isEmpty()) return root;
        Object at = root;
        String walked = "";
        String rest = path;
        while (!rest.isEmpty()) {
            if (!(at instanceof Map<?, ?> map)) {
                throw new TorchCheckpointException("key path '" + path + "': " + (walked.isEmpty() ? "the checkpoint" : "'" + walked + "'")
                        + " is a " + Unpickler.typeName(at) + ", not a dict");
            }
            String key = longestKey(map, rest);
            if (key == null) {
                throw new TorchCheckpointException("key path '" + path + "': " + (walked.isEmpty() ? "the checkpoint" : "'" + walked + "'")
                        + " has no key '" + rest.split("\\.", 2)[0] + "'; its keys: " + describeKeys(map));
            }
            at = map.get(lookupKey(map, key));
            walked = walked.isEmpty() ? key : walked + "." + key;
            rest = rest.length() == key.length() ? "" : rest.substring(key.length() + 1);
        }
        return at;
    }

    /** The longest prefix of {@code rest} ending at a dot (or the end) that is a key of the map. */
    private static String longestKey(Map<?, ?> map, String rest) {
        for (int end = rest.length(); end > 0; end = rest.lastIndexOf('.', end - 1)) {
            String candidate = rest.substring(0, end);
            if (lookupKey(map, candidate) != null) return candidate;
        }
        return null;
    }

    /** The map's key spelled as {@code s}: a string, or an int key (optimizer state is keyed by numbers). */
    private static Object lookupKey(Map<?, ?> map, String s) {
        if (map.containsKey(s)) return s;
        try {
            Long n = Long.parseLong(s);
            return map.containsKey(n) ? n : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The object as a name-to-tensor map; otherwise an error naming what it holds and the paths that are state dicts. */
    static Map<String, TensorRef> stateDict(Object o, String path) throws TorchCheckpointException {
        Map<String, TensorRef> flat = flat(o);
        if (flat != null) return flat;
        String where = path == null || path.isEmpty() ? "the checkpoint" : "'" + path + "'";
        if (!(o instanceof Map<?, ?> map)) {
            throw new TorchCheckpointException(where + " is a " + Unpickler.typeName(o) + ", not a dict of tensors");
        }
        List<String> candidates = new ArrayList<>();
        String prefix = path == null || path.isEmpty() ? "" : path + ".";
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (flat(e.getValue()) != null) candidates.add(prefix + e.getKey());
            else if (e.getValue() instanceof Map<?, ?> inner) {
                for (Map.Entry<?, ?> e2 : inner.entrySet()) if (flat(e2.getValue()) != null) candidates.add(prefix + e.getKey() + "." + e2.getKey());
            }
        }
        throw new TorchCheckpointException(where + " is not a flat name -> tensor map; its keys: " + describeKeys(map)
                + (candidates.isEmpty() ? "" : ". State dicts inside it: " + String.join(", ", candidates.subList(0, Math.min(8, candidates.size())))
                        + " (choose one with --key " + candidates.getFirst() + ")"));
    }

    /** The map if every key is a string and every value a tensor (an empty map is not a state dict), else null. */
    private static Map<String, TensorRef> flat(Object o) {
        if (!(o instanceof Map<?, ?> map) || map.isEmpty()) return null;
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof TensorRef t)) return null;
            out.put(k, t);
        }
        return out;
    }

    /** "model (dict of 8 tensors), step (int), ..." for at most 20 keys. */
    static String describeKeys(Map<?, ?> map) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (parts.size() == 20) {
                parts.add("... (" + map.size() + " in all)");
                break;
            }
            parts.add(e.getKey() + " (" + describe(e.getValue()) + ")");
        }
        return parts.isEmpty() ? "none (an empty dict)" : String.join(", ", parts);
    }

    private static String describe(Object v) {
        if (v instanceof TensorRef t) return "tensor " + t.dtype().storeType + " " + java.util.Arrays.toString(t.size());
        if (v instanceof Map<?, ?> m) {
            Map<String, TensorRef> f = flat(m);
            return f != null ? "dict of " + f.size() + " tensors" : "dict of " + m.size() + (m.size() == 1 ? " entry" : " entries");
        }
        if (v instanceof List<?> l) return "list of " + l.size();
        return Unpickler.typeName(v);
    }
}
