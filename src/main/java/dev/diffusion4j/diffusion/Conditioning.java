package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** What a conditional model sees besides x_t and t (class labels, low-resolution images, ...): named tensors, opaque to the diffusion code. */
public final class Conditioning {
    private final Map<String, Tensor> tensors;

    private Conditioning(Map<String, Tensor> tensors) { this.tensors = Collections.unmodifiableMap(tensors); }

    public static Conditioning of(String name, Tensor value) { return new Conditioning(Map.of(name, value)); }

    public static Conditioning of(Map<String, Tensor> tensors) { return new Conditioning(new LinkedHashMap<>(tensors)); }

    /** A copy with one more (or a replaced) entry. */
    public Conditioning with(String name, Tensor value) {
        Map<String, Tensor> m = new LinkedHashMap<>(tensors);
        m.put(name, value);
        return new Conditioning(m);
    }

    /** The tensor under {@code name}, or null. */
    public Tensor get(String name) { return tensors.get(name); }

    public Set<String> names() { return tensors.keySet(); }

    public Map<String, Tensor> asMap() { return tensors; }
}
