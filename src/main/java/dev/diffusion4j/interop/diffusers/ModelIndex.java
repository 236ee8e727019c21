package dev.diffusion4j.interop.diffusers;

import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A diffusers pipeline folder's {@code model_index.json}: the pipeline class ({@code _class_name}), and for each
 * component folder the library and class that load it ({@code "unet": ["diffusers", "UNet2DModel"]}; an absent optional
 * component is {@code [null, null]}). Other keys are the pipeline's own options (e.g. requires_safety_checker) and are
 * kept as they are.
 */
public record ModelIndex(String className, String diffusersVersion, Map<String, Component> components, Map<String, Object> options) {
    /** What loads a component folder; both null for an absent optional component. */
    public record Component(String library, String className) {
        public boolean present() { return library != null && className != null; }
    }

    /** The version written into folders this library makes (the diffusers release their layout was checked against). */
    public static final String DIFFUSERS_VERSION = "0.31.0";

    public ModelIndex {
        if (className == null || className.isBlank()) throw new IllegalArgumentException("model_index.json needs a _class_name (the pipeline class)");
        components = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(components));
        options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    public static ModelIndex of(String pipeline, Map<String, Component> components) {
        return new ModelIndex(pipeline, DIFFUSERS_VERSION, components, Map.of());
    }

    /** The component {@code name}, or a message naming the ones there are. */
    public Component component(String name) {
        Component c = components.get(name);
        if (c == null || !c.present())
            throw new IllegalArgumentException(className + " folder has no " + name + " component; it has: " + String.join(", ", components.keySet()));
        return c;
    }

    public static ModelIndex read(Path file) {
        Map<String, Object> m = new LinkedHashMap<>(ConfigJson.readObject(file));
        Object cls = m.remove("_class_name");
        Object version = m.remove("_diffusers_version");
        if (!(cls instanceof String s)) throw new ConfigException(file.toString(), "_class_name must name the pipeline class, got " + cls);
        Map<String, Component> comps = new LinkedHashMap<>();
        Map<String, Object> opts = new LinkedHashMap<>();
        for (var e : m.entrySet()) {
            if (e.getKey().startsWith("_")) continue;   // _name_or_path and other loader notes
            if (e.getValue() instanceof List<?> l && l.size() == 2 && l.stream().allMatch(v -> v == null || v instanceof String))
                comps.put(e.getKey(), new Component((String) l.get(0), (String) l.get(1)));
            else opts.put(e.getKey(), e.getValue());
        }
        return new ModelIndex(s, version instanceof String v ? v : null, comps, opts);
    }

    public void write(Path file) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_class_name", className);
        m.put("_diffusers_version", diffusersVersion != null ? diffusersVersion : DIFFUSERS_VERSION);
        m.putAll(options);
        for (var e : components.entrySet()) m.put(e.getKey(), new ArrayList<>(Arrays.asList(e.getValue().library(), e.getValue().className())));
        AtomicFiles.writeString(file, Json.writePretty(m) + "\n");
    }
}
