package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An autoencoder's config.json as diffusers reads and writes it, bound strictly to our config records: an unknown key
 * is refused naming the file and the key. Besides the record's keys it accepts diffusers' bookkeeping keys (the
 * _class_name must name the model being loaded) and JSON null for the values diffusers leaves unset (shift_factor,
 * latents_mean, latents_std, vq_embed_dim). Written back with sorted keys and those nulls, as diffusers writes it.
 */
public final class DiffusersConfigs {
    private DiffusersConfigs() {}

    /** The diffusers release whose config keys these files follow (written as _diffusers_version). */
    public static final String DIFFUSERS_VERSION = "0.32.0";
    private static final List<String> BOOKKEEPING = List.of("_class_name", "_diffusers_version", "_name_or_path");

    public static AutoencoderKLConfig readKL(Path file) {
        return ConfigJson.bind(open(file, "AutoencoderKL"), AutoencoderKLConfig.class, file.toString());
    }

    public static VQModelConfig readVQ(Path file) {
        Map<String, Object> m = open(file, "VQModel");
        dropNull(m, "vq_embed_dim");
        return ConfigJson.bind(m, VQModelConfig.class, file.toString());
    }

    public static void write(Path file, AutoencoderKLConfig c) throws IOException {
        Map<String, Object> m = sorted(c, "AutoencoderKL");
        if (!c.hasShiftFactor()) m.put("shift_factor", null);
        if (c.latentsMean().isEmpty()) m.put("latents_mean", null);
        if (c.latentsStd().isEmpty()) m.put("latents_std", null);
        AtomicFiles.writeString(file, Json.writePretty(m) + "\n");
    }

    public static void write(Path file, VQModelConfig c) throws IOException {
        Map<String, Object> m = sorted(c, "VQModel");
        if (c.vqEmbedDim() == 0) m.put("vq_embed_dim", null);
        AtomicFiles.writeString(file, Json.writePretty(m) + "\n");
    }

    /**
     * A diffusers config.json as parsed JSON without its bookkeeping keys, after checking that its _class_name (when
     * present) is className.
     */
    public static Map<String, Object> open(Path file, String className) {
        Map<String, Object> m = ConfigJson.readObject(file);
        Object name = m.get("_class_name");
        if (name != null && !className.equals(name))
            throw new ConfigException(file.toString(), "_class_name is " + Json.write(name) + ", not " + className
                    + ": this folder holds another kind of model");
        for (String k : BOOKKEEPING) m.remove(k);
        return m;
    }

    /** Writes a config map as config.json (atomically). */
    public static void write(Path file, Map<String, Object> m) throws IOException { AtomicFiles.writeString(file, Json.writePretty(m) + "\n"); }

    private static void dropNull(Map<String, Object> m, String key) {
        if (m.containsKey(key) && m.get(key) == null) m.remove(key);
    }

    /** A config record under diffusers' keys, sorted as diffusers writes them, with the bookkeeping keys added. */
    public static Map<String, Object> sorted(Record c, String className) {
        Map<String, Object> m = new TreeMap<>(ConfigJson.toMap(c));
        m.put("_class_name", className);
        m.put("_diffusers_version", DIFFUSERS_VERSION);
        return m;
    }
}
