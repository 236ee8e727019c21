package dev.diffusion4j.models.dit;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.DiTConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The config.json of a diffusers DiT: {@code DiTTransformer2DModel}, or the older {@code Transformer2DModel} with
 * norm_type ada_norm_zero (its extra keys at the values that mean a patched DiT). Bound strictly: an unknown key is
 * refused naming it; the bookkeeping keys (_class_name, _diffusers_version, _name_or_path, _use_default_values) are
 * skipped. diffusers' JSON null ("unset") reads as 0 here (false for a flag). Options this implementation does not
 * compute are refused together by {@link #checkSupported}, before any weight is read.
 */
public record DiffusersDiTConfig(
        @JsonProperty(defaultValue = "16") int numAttentionHeads, @JsonProperty(defaultValue = "72") int attentionHeadDim,
        @JsonProperty(defaultValue = "4") int inChannels, @JsonProperty(defaultValue = "0") int outChannels,
        @JsonProperty(defaultValue = "28") int numLayers, @JsonProperty(defaultValue = "0.0") double dropout,
        @JsonProperty(defaultValue = "32") int normNumGroups, @JsonProperty(defaultValue = "true") boolean attentionBias,
        @JsonProperty(defaultValue = "32") int sampleSize, @JsonProperty(defaultValue = "2") int patchSize,
        @JsonProperty(defaultValue = "gelu-approximate") String activationFn, @JsonProperty(defaultValue = "1000") int numEmbedsAdaNorm,
        @JsonProperty(defaultValue = "false") boolean upcastAttention, @JsonProperty(defaultValue = "ada_norm_zero") String normType,
        @JsonProperty(defaultValue = "false") boolean normElementwiseAffine, @JsonProperty(defaultValue = "1e-5") double normEps,
        // Transformer2DModel only
        @JsonProperty(defaultValue = "0") int crossAttentionDim, @JsonProperty(defaultValue = "0") int numVectorEmbeds,
        @JsonProperty(defaultValue = "false") boolean onlyCrossAttention, @JsonProperty(defaultValue = "false") boolean doubleSelfAttention,
        @JsonProperty(defaultValue = "false") boolean useLinearProjection, @JsonProperty(defaultValue = "0") int captionChannels,
        @JsonProperty(defaultValue = "0") double interpolationScale, @JsonProperty(defaultValue = "false") boolean useAdditionalConditions,
        @JsonProperty(defaultValue = "default") String attentionType) {

    public static final String CLASS = "DiTTransformer2DModel";
    public static final String LEGACY_CLASS = "Transformer2DModel";
    /** The diffusers release whose DiT config keys an exported folder follows. */
    public static final String DIFFUSERS_VERSION = "0.32.0";
    private static final List<String> BOOKKEEPING = List.of("_class_name", "_diffusers_version", "_name_or_path", "_use_default_values");
    private static final List<String> LEGACY_KEYS = List.of("cross_attention_dim", "num_vector_embeds", "only_cross_attention",
            "double_self_attention", "use_linear_projection", "caption_channels", "interpolation_scale", "use_additional_conditions", "attention_type");
    /** Transformer2DModel's own defaults where they differ from DiTTransformer2DModel's (JSON null: unset). */
    private static final Map<String, Object> LEGACY_DEFAULTS = legacyDefaults();

    /** Reads and binds a config.json (either class; a file without _class_name is taken as DiTTransformer2DModel). */
    public static DiffusersDiTConfig read(Path file) {
        Map<String, Object> m = ConfigJson.readObject(file);
        Object name = m.getOrDefault("_class_name", CLASS);
        if (!CLASS.equals(name) && !LEGACY_CLASS.equals(name))
            throw new ConfigException(file.toString(), "_class_name is " + Json.write(name) + ": not a diffusers DiT (" + CLASS + ", or "
                    + LEGACY_CLASS + " with norm_type ada_norm_zero)");
        for (String k : BOOKKEEPING) m.remove(k);
        if (CLASS.equals(name)) {
            for (String k : LEGACY_KEYS)
                if (m.containsKey(k)) throw new ConfigException(file.toString(), "unknown key '" + k + "' for " + CLASS + " (a " + LEGACY_CLASS + " key)");
        } else {
            LEGACY_DEFAULTS.forEach(m::putIfAbsent);
        }
        m.replaceAll((k, v) -> v != null ? v : k.equals("use_additional_conditions") ? false : 0);
        return ConfigJson.bind(m, DiffusersDiTConfig.class, file.toString());
    }

    /** The diffusers config of a diffusion4j DiT (class-conditional, without text). */
    public static DiffusersDiTConfig of(DiTConfig c) {
        if (c.numClasses() < 1) throw new IllegalArgumentException("an unconditional DiT has no diffusers DiTTransformer2DModel form");
        if (c.contextDim() > 0) throw new IllegalArgumentException("a text-conditioned DiT has no diffusers DiTTransformer2DModel form");
        if (c.mlpHidden() != 4 * c.hiddenSize())
            throw new IllegalArgumentException("diffusers' DiT has an MLP of 4 x the width; this DiT's ratio is " + c.mlpRatio());
        return new DiffusersDiTConfig(c.numHeads(), c.hiddenSize() / c.numHeads(), c.inChannels(), c.outChannels(), c.depth(), 0, 32, true,
                c.resolution(), c.patchSize(), "gelu-approximate", c.numClasses(), false, "ada_norm_zero", false, 1e-6,
                0, 0, false, false, false, 0, 0, false, "default");
    }

    /**
     * Throws one IllegalArgumentException listing every option this implementation does not compute (other norm types,
     * cross-attention, discrete inputs, ...), with what is supported.
     */
    public DiffusersDiTConfig checkSupported() {
        List<String> bad = new ArrayList<>();
        if (!normType.equals("ada_norm_zero")) bad.add("norm_type " + normType);
        if (numEmbedsAdaNorm < 1) bad.add("num_embeds_ada_norm null (a DiT needs class labels)");
        if (!activationFn.equals("gelu-approximate") && !activationFn.equals("gelu")) bad.add("activation_fn " + activationFn);
        if (normElementwiseAffine) bad.add("norm_elementwise_affine true");
        if (inChannels < 1) bad.add("in_channels null (discrete inputs)");
        if (patchSize < 1) bad.add("patch_size null (unpatched inputs)");
        if (sampleSize < 1) bad.add("sample_size null");
        if (outChannels != 0 && outChannels != inChannels && outChannels != 2 * inChannels)
            bad.add("out_channels " + outChannels + " (neither in_channels nor twice it)");
        if (crossAttentionDim != 0) bad.add("cross_attention_dim " + crossAttentionDim);
        if (numVectorEmbeds != 0) bad.add("num_vector_embeds " + numVectorEmbeds);
        if (onlyCrossAttention) bad.add("only_cross_attention true");
        if (doubleSelfAttention) bad.add("double_self_attention true");
        if (captionChannels != 0) bad.add("caption_channels " + captionChannels);
        if (useAdditionalConditions) bad.add("use_additional_conditions true");
        if (!attentionType.equals("default")) bad.add("attention_type " + attentionType);
        if (!bad.isEmpty())
            throw new IllegalArgumentException("unsupported diffusers DiT options: " + String.join(", ", bad) + "; supported: norm_type ada_norm_zero "
                    + "with class labels, activation_fn gelu-approximate or gelu, no elementwise-affine norms, no cross-attention, patched "
                    + "continuous inputs, out_channels in_channels or twice it (learned variance)");
        return this;
    }

    /** The model's shape in diffusion4j's terms (learned variance when out_channels is twice in_channels). */
    public DiTConfig toDiTConfig() {
        return new DiTConfig(inChannels, sampleSize, patchSize, hiddenSize(), numLayers, numAttentionHeads, 4.0, numEmbedsAdaNorm,
                outChannels == 2 * inChannels);
    }

    public int hiddenSize() { return numAttentionHeads * attentionHeadDim; }

    /** The positions' divisor of the sin-cos table: DiTTransformer2DModel's 1; Transformer2DModel's own or max(sample_size / 64, 1). */
    public double positionScale(boolean legacy) {
        if (!legacy) return 1;
        return interpolationScale > 0 ? interpolationScale : Math.max(sampleSize / 64, 1);
    }

    /** Writes a DiTTransformer2DModel config.json with every key its constructor takes, sorted as diffusers writes it. */
    public void write(Path file) throws IOException {
        Map<String, Object> m = new TreeMap<>();
        m.put("_class_name", CLASS);
        m.put("_diffusers_version", DIFFUSERS_VERSION);
        m.put("num_attention_heads", numAttentionHeads);
        m.put("attention_head_dim", attentionHeadDim);
        m.put("in_channels", inChannels);
        m.put("out_channels", outChannels == 0 ? inChannels : outChannels);
        m.put("num_layers", numLayers);
        m.put("dropout", dropout);
        m.put("norm_num_groups", normNumGroups);
        m.put("attention_bias", attentionBias);
        m.put("sample_size", sampleSize);
        m.put("patch_size", patchSize);
        m.put("activation_fn", activationFn);
        m.put("num_embeds_ada_norm", numEmbedsAdaNorm);
        m.put("upcast_attention", upcastAttention);
        m.put("norm_type", normType);
        m.put("norm_elementwise_affine", normElementwiseAffine);
        m.put("norm_eps", normEps);
        AtomicFiles.writeString(file, Json.writePretty(m) + "\n");
    }

    private static Map<String, Object> legacyDefaults() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("attention_head_dim", 88);
        m.put("num_layers", 1);
        m.put("in_channels", null);
        m.put("sample_size", null);
        m.put("patch_size", null);
        m.put("activation_fn", "geglu");
        m.put("num_embeds_ada_norm", null);
        m.put("attention_bias", false);
        m.put("norm_type", "layer_norm");
        m.put("norm_elementwise_affine", true);
        return m;
    }

    /** Whether {@code name} (a config.json's _class_name) is the older Transformer2DModel. */
    static boolean isLegacy(Object name) { return Objects.equals(name, LEGACY_CLASS); }
}
