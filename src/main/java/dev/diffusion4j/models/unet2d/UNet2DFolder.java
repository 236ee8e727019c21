package dev.diffusion4j.models.unet2d;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.UNet2DConfig;
import dev.diffusion4j.models.autoencoder.DiffusersConfigs;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A diffusers U-Net folder (UNet2DModel or UNet2DConditionModel; the unet/ folder of a pipeline is one): config.json
 * beside diffusion_pytorch_model.safetensors or its fp16 variant, as {@link DiffusersFolder} finds and writes them for
 * the autoencoders. Loading is strict: the config's keys must be diffusers' (unknown keys and unsupported values are
 * refused by name) and the weights must have exactly the network's parameter names and shapes, else one message names
 * the first mismatch (the self-attention's pre-0.14 names query, key, value and proj_attn, as the google/ddpm-* files have
 * them, are renamed as diffusers renames them). Saving writes a folder that diffusers' from_pretrained loads. Our one
 * key of our own, {@link UNet2DConfig#NULL_CLASS_KEY} (a folder of diffuse export), is read and written back; diffusers
 * ignores it.
 */
public final class UNet2DFolder {
    private UNet2DFolder() {}

    private static final String KIND = "U-Net";
    private static final List<String> CLASSES = List.of(UNet2DModelConfig.CLASS_NAME, UNet2DConditionConfig.CLASS_NAME);
    /** Keys diffusers may write as null, which the config records hold as 0 (numbers) or "" (names). */
    private static final List<String> NULL_AS_ZERO = List.of("time_embedding_dim", "attention_head_dim", "attn_norm_num_groups",
            "num_class_embeds", "num_train_timesteps", "num_attention_heads");
    private static final List<String> NULL_AS_EMPTY = List.of("mid_block_type", "class_embed_type");

    /** Whether dir holds a diffusers U-Net's config.json (its _class_name is UNet2DModel or UNet2DConditionModel). */
    public static boolean isUNetFolder(Path dir) {
        try {
            return Files.isRegularFile(dir.resolve(DiffusersFolder.CONFIG))
                    && CLASSES.contains(ConfigJson.readObject(dir.resolve(DiffusersFolder.CONFIG)).get("_class_name"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The network a folder holds, with its weights. */
    public static UNet2D load(Path dir) throws IOException {
        UNet2D m = new UNet2D(readConfig(DiffusersFolder.configFile(dir, KIND)), new Generator(0));
        DiffusersFolder.loadWeights(DiffusersFolder.weightsFile(dir, KIND), m);   // also the pre-0.14 attention names of google/ddpm-*
        return m;
    }

    /** A U-Net's config.json, of the class its _class_name names. */
    public static UNet2DConfig readConfig(Path file) {
        Object name = ConfigJson.readObject(file).get("_class_name");
        if (name == null)
            throw new ConfigException(file.toString(), "has no _class_name: cannot tell a UNet2DModel from a UNet2DConditionModel config");
        if (!CLASSES.contains(name))
            throw new ConfigException(file.toString(), "_class_name " + Json.write(name) + " is not supported here; supported: " + String.join(", ", CLASSES));
        Map<String, Object> m = DiffusersConfigs.open(file, (String) name);
        for (String k : NULL_AS_ZERO) if (m.containsKey(k) && m.get(k) == null) m.put(k, 0);
        for (String k : NULL_AS_EMPTY) if (m.containsKey(k) && m.get(k) == null) m.put(k, "");
        m.putIfAbsent("class_embed_type", "");   // diffusers' default, null (a record default cannot be an empty name)
        if (name.equals(UNet2DModelConfig.CLASS_NAME)) return checked(ConfigJson.bind(m, UNet2DModelConfig.class, file.toString()), file);
        for (var e : UNet2DConditionConfig.FIXED_KEYS.entrySet()) {
            if (!m.containsKey(e.getKey())) continue;
            Object v = m.remove(e.getKey());
            if (e.getKey().equals("addition_embed_type_num_heads")) continue;   // read by diffusers only with an addition_embed_type
            if (e.getValue().stream().noneMatch(ok -> same(ok, v)))
                throw new ConfigException(file.toString(), e.getKey() + " " + Json.write(v) + " is not supported; supported: "
                        + String.join(" or ", e.getValue().stream().map(Json::write).toList()));
        }
        if (m.get("attention_head_dim") instanceof Number n) m.put("attention_head_dim", List.of(n));   // one count for every level
        return checked(ConfigJson.bind(m, UNet2DConditionConfig.class, file.toString()), file);
    }

    /** The config, after resolving its layout: what cannot be built is refused here, naming the file. */
    private static UNet2DConfig checked(UNet2DConfig c, Path file) {
        try {
            c.layout();
            return c;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file.toString(), e.getMessage());
        }
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) return x.doubleValue() == y.doubleValue();
        return a == null ? b == null : a.equals(b);
    }

    /** Writes config.json and the f32 weights. */
    public static void save(Path dir, UNet2D model) throws IOException { save(dir, model, false); }

    /** Writes config.json and the weights, in f16 under the fp16 variant's name when fp16 is set (diffusers' variant="fp16"). */
    public static void save(Path dir, UNet2D model, boolean fp16) throws IOException {
        Files.createDirectories(dir);
        writeConfig(dir.resolve(DiffusersFolder.CONFIG), model.config());
        DiffusersFolder.saveWeights(dir, model.stateDict(), fp16);
    }

    /** config.json as diffusers writes it: sorted keys, the bookkeeping keys, and every key of the class. */
    public static void writeConfig(Path file, UNet2DConfig c) throws IOException {
        Map<String, Object> m = DiffusersConfigs.sorted((Record) c, c.className());
        for (String k : NULL_AS_ZERO) if (m.get(k) instanceof Number n && n.intValue() == 0) m.put(k, null);
        for (String k : NULL_AS_EMPTY) if ("".equals(m.get(k))) m.put(k, null);
        if (!c.nullClass()) m.remove(UNet2DConfig.NULL_CLASS_KEY);   // diffusers' own files have no such key
        if (c instanceof UNet2DConditionConfig) {
            UNet2DConditionConfig.FIXED_KEYS.forEach((k, v) -> m.put(k, v.getFirst()));
            if (m.get("attention_head_dim") instanceof List<?> heads && heads.size() == 1) m.put("attention_head_dim", heads.getFirst());
        }
        DiffusersConfigs.write(file, m);
    }
}
