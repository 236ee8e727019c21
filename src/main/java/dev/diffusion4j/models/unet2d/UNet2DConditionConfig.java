package dev.diffusion4j.models.unet2d;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.diffusion4j.models.UNet2DConfig;
import dev.diffusion4j.models.unet2d.UNet2DLayout.Attention;
import dev.diffusion4j.models.unet2d.UNet2DLayout.Block;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The config.json of diffusers' UNet2DConditionModel in the Stable Diffusion 1.x / 2.x layouts, under diffusers' keys
 * and defaults. attention_head_dim is, as in diffusers, the NUMBER of heads of each level's transformer (one value for
 * all levels, or one per level); num_attention_heads must stay null, as diffusers itself requires. The keys of
 * {@link #FIXED_KEYS} (SDXL's added embeddings, other attention kinds, time-embedding variants...) are accepted only at
 * the value this implementation builds; any other value is refused naming the key. Where diffusers writes null, the
 * record holds 0 (numbers) or "" (names): {@link UNet2DFolder} translates both ways. The one key of our own,
 * {@link UNet2DConfig#NULL_CLASS_KEY}, says the last class row is "no class".
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NONE)
public record UNet2DConditionConfig(
        int sampleSize,
        @JsonProperty(defaultValue = "4") int inChannels,
        @JsonProperty(defaultValue = "4") int outChannels,
        @JsonProperty(defaultValue = "false") boolean centerInputSample,
        @JsonProperty(defaultValue = "true") boolean flipSinToCos,
        @JsonProperty(defaultValue = "0") int freqShift,
        @JsonProperty(defaultValue = "[\"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"DownBlock2D\"]") List<String> downBlockTypes,
        @JsonProperty(defaultValue = "UNetMidBlock2DCrossAttn") String midBlockType,
        @JsonProperty(defaultValue = "[\"UpBlock2D\", \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\"]") List<String> upBlockTypes,
        @JsonProperty(defaultValue = "[320, 640, 1280, 1280]") List<Integer> blockOutChannels,
        @JsonProperty(defaultValue = "2") int layersPerBlock,
        @JsonProperty(defaultValue = "1") int downsamplePadding,
        @JsonProperty(defaultValue = "1") double midBlockScaleFactor,
        @JsonProperty(defaultValue = "0") double dropout,
        @JsonProperty(defaultValue = "silu") String actFn,
        @JsonProperty(defaultValue = "32") int normNumGroups,
        @JsonProperty(defaultValue = "1e-5") double normEps,
        @JsonProperty(defaultValue = "1280") int crossAttentionDim,
        @JsonProperty(defaultValue = "1") int transformerLayersPerBlock,
        @JsonProperty(defaultValue = "[8]") List<Integer> attentionHeadDim,
        @JsonProperty(defaultValue = "0") int numAttentionHeads,
        @JsonProperty(defaultValue = "false") boolean useLinearProjection,
        String classEmbedType,
        @JsonProperty(defaultValue = "0") int numClassEmbeds,
        @JsonProperty(defaultValue = "false") boolean upcastAttention,
        @JsonProperty(defaultValue = "default") String resnetTimeScaleShift,
        @JsonProperty(defaultValue = "positional") String timeEmbeddingType,
        @JsonProperty(defaultValue = "0") int timeEmbeddingDim,
        @JsonProperty(value = UNet2DConfig.NULL_CLASS_KEY, defaultValue = "false") boolean nullClass) implements UNet2DConfig {

    public static final String CLASS_NAME = "UNet2DConditionModel";
    static final List<String> DOWN_TYPES = List.of("CrossAttnDownBlock2D", "DownBlock2D");
    static final List<String> UP_TYPES = List.of("CrossAttnUpBlock2D", "UpBlock2D");

    /**
     * Keys of diffusers' UNet2DConditionModel config whose only supported value(s) these are (the first is written);
     * addition_embed_type_num_heads is read by diffusers only with an addition_embed_type, so any value is accepted.
     */
    public static final Map<String, List<Object>> FIXED_KEYS = fixedKeys();

    private static Map<String, List<Object>> fixedKeys() {
        Map<String, List<Object>> m = new LinkedHashMap<>();
        m.put("only_cross_attention", List.of(false));
        m.put("reverse_transformer_layers_per_block", nullOnly());
        m.put("encoder_hid_dim", nullOnly());
        m.put("encoder_hid_dim_type", nullOnly());
        m.put("dual_cross_attention", List.of(false));
        m.put("addition_embed_type", nullOnly());
        m.put("addition_time_embed_dim", nullOnly());
        m.put("resnet_skip_time_act", List.of(false));
        m.put("resnet_out_scale_factor", List.of(1.0));
        m.put("time_embedding_act_fn", nullOnly());
        m.put("timestep_post_act", nullOnly());
        m.put("time_cond_proj_dim", nullOnly());
        m.put("conv_in_kernel", List.of(3));
        m.put("conv_out_kernel", List.of(3));
        m.put("projection_class_embeddings_input_dim", nullOnly());
        m.put("attention_type", List.of("default"));
        m.put("class_embeddings_concat", List.of(false));
        m.put("mid_block_only_cross_attention", Arrays.asList(null, false));
        m.put("cross_attention_norm", nullOnly());
        m.put("addition_embed_type_num_heads", List.of(64));
        return Collections.unmodifiableMap(m);
    }

    private static List<Object> nullOnly() { return Collections.singletonList(null); }

    public UNet2DConditionConfig {
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        blockOutChannels = List.copyOf(blockOutChannels);
        attentionHeadDim = List.copyOf(attentionHeadDim);
    }

    /** Stable Diffusion 1.x's U-Net (CompVis/stable-diffusion-v1-4, runwayml 1.5): 859,520,964 parameters. */
    public static UNet2DConditionConfig sd1() {
        return new UNet2DConditionConfig(64, 4, 4, false, true, 0, List.of("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                "DownBlock2D"), "UNetMidBlock2DCrossAttn", List.of("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
                List.of(320, 640, 1280, 1280), 2, 1, 1, 0, "silu", 32, 1e-5, 768, 1, List.of(8), 0, false, "", 0, false, "default",
                "positional", 0, false);
    }

    @Override public String className() { return CLASS_NAME; }

    @Override public UNet2DLayout layout() { return layout(this); }

    private static UNet2DLayout layout(UNet2DConditionConfig c) {
        ConfigChecks.check(c.sampleSize, c.inChannels, c.outChannels, c.blockOutChannels, c.layersPerBlock, c.normNumGroups, c.actFn,
                c.timeEmbeddingType, c.resnetTimeScaleShift, c.timeEmbeddingDim, c.numClassEmbeds, c.classEmbedType, c.nullClass);
        if (c.numAttentionHeads != 0)
            throw new IllegalArgumentException("num_attention_heads must be null in a UNet2DConditionModel config (diffusers itself refuses it);"
                    + " attention_head_dim gives the number of heads");
        if (!c.midBlockType.isEmpty() && !"UNetMidBlock2DCrossAttn".equals(c.midBlockType))
            throw UNet2DConfig.unsupported("mid_block_type", c.midBlockType, "UNetMidBlock2DCrossAttn, null (none)");
        if (c.crossAttentionDim < 1) throw new IllegalArgumentException("cross_attention_dim must be positive, got " + c.crossAttentionDim);
        if (c.transformerLayersPerBlock < 1)
            throw new IllegalArgumentException("transformer_layers_per_block must be positive, got " + c.transformerLayersPerBlock);
        int levels = c.blockOutChannels.size();
        UNet2DConfig.checkBlockTypes("down_block_types", c.downBlockTypes, DOWN_TYPES, levels);
        UNet2DConfig.checkBlockTypes("up_block_types", c.upBlockTypes, UP_TYPES, levels);
        if (c.attentionHeadDim.size() != 1 && c.attentionHeadDim.size() != levels)
            throw new IllegalArgumentException("attention_head_dim " + c.attentionHeadDim + " has " + c.attentionHeadDim.size()
                    + " entries but there are " + levels + " levels: give one number of heads, or one per level");
        List<Block> down = new ArrayList<>(), up = new ArrayList<>();
        for (int i = 0; i < levels; i++) {
            boolean cross = c.downBlockTypes.get(i).startsWith("CrossAttn");
            down.add(new Block(c.downBlockTypes.get(i), cross ? Attention.CROSS : Attention.NONE, cross ? heads(c, i) : 0, c.transformerLayersPerBlock));
        }
        for (int i = 0; i < levels; i++) {
            boolean cross = c.upBlockTypes.get(i).startsWith("CrossAttn");
            int level = levels - 1 - i;
            up.add(new Block(c.upBlockTypes.get(i), cross ? Attention.CROSS : Attention.NONE, cross ? heads(c, level) : 0, c.transformerLayersPerBlock));
        }
        UNet2DLayout.Mid mid = c.midBlockType.isEmpty() ? null
                : new UNet2DLayout.Mid(c.midBlockType, Attention.CROSS, heads(c, levels - 1), c.normNumGroups, c.transformerLayersPerBlock, c.midBlockScaleFactor);
        int temb = c.timeEmbeddingDim > 0 ? c.timeEmbeddingDim : 4 * c.blockOutChannels.getFirst();
        return new UNet2DLayout(c.inChannels, c.outChannels, c.centerInputSample, c.flipSinToCos, c.freqShift, temb, c.blockOutChannels,
                c.layersPerBlock, down, mid, up, c.normNumGroups, c.normEps, c.dropout, c.downsamplePadding,
                c.numClassEmbeds, c.crossAttentionDim, c.useLinearProjection,
                "scale_shift".equals(c.resnetTimeScaleShift));
    }

    /** The number of heads at a level (the attention_head_dim trap: a count of heads, not their width). */
    private static int heads(UNet2DConditionConfig c, int level) {
        int heads = c.attentionHeadDim.get(c.attentionHeadDim.size() == 1 ? 0 : level), channels = c.blockOutChannels.get(level);
        if (heads < 1 || channels % heads != 0)
            throw new IllegalArgumentException("attention_head_dim " + heads + " (the number of heads in a UNet2DConditionModel) does not divide "
                    + channels + " channels");
        return heads;
    }

    /** The real classes: the table's rows less the "no class" row where it has one. */
    @Override public int numClasses() { return nullClass ? numClassEmbeds - 1 : numClassEmbeds; }

    @Override public int contextDim() { return crossAttentionDim; }

    @Override public UNet2DConditionConfig withLearnSigma(boolean v) { return with(inChannels, v ? 2 * inChannels : inChannels, sampleSize, numClassEmbeds, crossAttentionDim); }

    @Override public UNet2DConditionConfig withInput(int channels, int res) {
        return with(channels, learnSigma() ? 2 * channels : channels, res, numClassEmbeds, crossAttentionDim);
    }

    /** n real classes, keeping the "no class" row if this config has one. */
    @Override public UNet2DConditionConfig withClasses(int n) {
        return n > 0 ? with(inChannels, outChannels, sampleSize, n + (nullClass ? 1 : 0), crossAttentionDim, nullClass)
                : with(inChannels, outChannels, sampleSize, 0, crossAttentionDim, false);
    }

    @Override public UNet2DConditionConfig withContextDim(int d) {
        if (d < 1) throw new IllegalArgumentException("a UNet2DConditionModel always cross-attends: its context width must be positive, got " + d);
        return with(inChannels, outChannels, sampleSize, numClassEmbeds, d);
    }

    private UNet2DConditionConfig with(int in, int out, int size, int classEmbeds, int context) {
        return with(in, out, size, classEmbeds, context, nullClass);
    }

    private UNet2DConditionConfig with(int in, int out, int size, int classEmbeds, int context, boolean nullRow) {
        return new UNet2DConditionConfig(size, in, out, centerInputSample, flipSinToCos, freqShift, downBlockTypes, midBlockType, upBlockTypes,
                blockOutChannels, layersPerBlock, downsamplePadding, midBlockScaleFactor, dropout, actFn, normNumGroups, normEps, context,
                transformerLayersPerBlock, attentionHeadDim, numAttentionHeads, useLinearProjection, classEmbedType, classEmbeds, upcastAttention,
                resnetTimeScaleShift, timeEmbeddingType, timeEmbeddingDim, nullRow);
    }
}
