package dev.diffusion4j.models.unet2d;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.diffusion4j.models.UNet2DConfig;
import dev.diffusion4j.models.unet2d.UNet2DLayout.Attention;
import dev.diffusion4j.models.unet2d.UNet2DLayout.Block;
import java.util.ArrayList;
import java.util.List;

/**
 * The config.json of diffusers' UNet2DModel (the google/ddpm-* U-Nets), under diffusers' keys and defaults. Keys a
 * file leaves out take diffusers' defaults; an unknown key is refused by name; values this implementation does not
 * build (another block or time-embedding type, scale-shift norms, resnet or fir resampling, class_embed_type) are
 * refused naming the key and what is supported. Where diffusers writes null, the record holds 0 (numbers) or "" (names):
 * {@link UNet2DFolder} translates both ways. attention_head_dim is the width of one head here (null: one head
 * as wide as the block). The one key of our own, {@link UNet2DConfig#NULL_CLASS_KEY}, says the last class row is "no class".
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NONE)
public record UNet2DModelConfig(
        int sampleSize,
        @JsonProperty(defaultValue = "3") int inChannels,
        @JsonProperty(defaultValue = "3") int outChannels,
        @JsonProperty(defaultValue = "false") boolean centerInputSample,
        @JsonProperty(defaultValue = "positional") String timeEmbeddingType,
        @JsonProperty(defaultValue = "0") int timeEmbeddingDim,
        @JsonProperty(defaultValue = "0") int freqShift,
        @JsonProperty(defaultValue = "true") boolean flipSinToCos,
        @JsonProperty(defaultValue = "[\"DownBlock2D\", \"AttnDownBlock2D\", \"AttnDownBlock2D\", \"AttnDownBlock2D\"]") List<String> downBlockTypes,
        @JsonProperty(defaultValue = "UNetMidBlock2D") String midBlockType,
        @JsonProperty(defaultValue = "[\"AttnUpBlock2D\", \"AttnUpBlock2D\", \"AttnUpBlock2D\", \"UpBlock2D\"]") List<String> upBlockTypes,
        @JsonProperty(defaultValue = "[224, 448, 672, 896]") List<Integer> blockOutChannels,
        @JsonProperty(defaultValue = "2") int layersPerBlock,
        @JsonProperty(defaultValue = "1") double midBlockScaleFactor,
        @JsonProperty(defaultValue = "1") int downsamplePadding,
        @JsonProperty(defaultValue = "conv") String downsampleType,
        @JsonProperty(defaultValue = "conv") String upsampleType,
        @JsonProperty(defaultValue = "0") double dropout,
        @JsonProperty(defaultValue = "silu") String actFn,
        @JsonProperty(defaultValue = "8") int attentionHeadDim,
        @JsonProperty(defaultValue = "32") int normNumGroups,
        @JsonProperty(defaultValue = "0") int attnNormNumGroups,
        @JsonProperty(defaultValue = "1e-5") double normEps,
        @JsonProperty(defaultValue = "default") String resnetTimeScaleShift,
        @JsonProperty(defaultValue = "true") boolean addAttention,
        String classEmbedType,
        @JsonProperty(defaultValue = "0") int numClassEmbeds,
        @JsonProperty(defaultValue = "0") int numTrainTimesteps,
        @JsonProperty(value = UNet2DConfig.NULL_CLASS_KEY, defaultValue = "false") boolean nullClass) implements UNet2DConfig {

    public static final String CLASS_NAME = "UNet2DModel";
    static final List<String> DOWN_TYPES = List.of("DownBlock2D", "AttnDownBlock2D");
    static final List<String> UP_TYPES = List.of("UpBlock2D", "AttnUpBlock2D");

    public UNet2DModelConfig {
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        blockOutChannels = List.copyOf(blockOutChannels);
    }

    @Override public String className() { return CLASS_NAME; }

    @Override public UNet2DLayout layout() { return layout(this); }

    private static UNet2DLayout layout(UNet2DModelConfig c) {
        ConfigChecks.check(c.sampleSize, c.inChannels, c.outChannels, c.blockOutChannels, c.layersPerBlock, c.normNumGroups, c.actFn,
                c.timeEmbeddingType, c.resnetTimeScaleShift, c.timeEmbeddingDim, c.numClassEmbeds, c.classEmbedType, c.nullClass);
        if (!"conv".equals(c.downsampleType)) throw UNet2DConfig.unsupported("downsample_type", c.downsampleType, "conv");
        if (!"conv".equals(c.upsampleType)) throw UNet2DConfig.unsupported("upsample_type", c.upsampleType, "conv");
        if (!c.midBlockType.isEmpty() && !"UNetMidBlock2D".equals(c.midBlockType))
            throw UNet2DConfig.unsupported("mid_block_type", c.midBlockType, "UNetMidBlock2D, null (none)");
        int levels = c.blockOutChannels.size();
        UNet2DConfig.checkBlockTypes("down_block_types", c.downBlockTypes, DOWN_TYPES, levels);
        UNet2DConfig.checkBlockTypes("up_block_types", c.upBlockTypes, UP_TYPES, levels);
        List<Block> down = new ArrayList<>(), up = new ArrayList<>();
        for (int i = 0; i < levels; i++) {
            boolean attn = c.downBlockTypes.get(i).startsWith("Attn");
            down.add(new Block(c.downBlockTypes.get(i), attn ? Attention.SELF : Attention.NONE, attn ? heads(c, c.blockOutChannels.get(i)) : 0, 0));
        }
        for (int i = 0; i < levels; i++) {
            boolean attn = c.upBlockTypes.get(i).startsWith("Attn");
            int out = c.blockOutChannels.get(levels - 1 - i);
            up.add(new Block(c.upBlockTypes.get(i), attn ? Attention.SELF : Attention.NONE, attn ? heads(c, out) : 0, 0));
        }
        int last = c.blockOutChannels.getLast();
        int attnGroups = c.attnNormNumGroups > 0 ? c.attnNormNumGroups : c.normNumGroups;
        if (c.addAttention && !c.midBlockType.isEmpty() && (attnGroups < 1 || last % attnGroups != 0))
            throw new IllegalArgumentException("attn_norm_num_groups " + attnGroups + " does not divide the mid block's " + last + " channels");
        UNet2DLayout.Mid mid = c.midBlockType.isEmpty() ? null : new UNet2DLayout.Mid(c.midBlockType, c.addAttention ? Attention.SELF : Attention.NONE,
                c.addAttention ? heads(c, last) : 0, attnGroups, 0, c.midBlockScaleFactor);
        int temb = c.timeEmbeddingDim > 0 ? c.timeEmbeddingDim : 4 * c.blockOutChannels.getFirst();
        return new UNet2DLayout(c.inChannels, c.outChannels, c.centerInputSample, c.flipSinToCos, c.freqShift, temb, c.blockOutChannels,
                c.layersPerBlock, down, mid, up, c.normNumGroups, c.normEps, c.dropout, c.downsamplePadding,
                c.numClassEmbeds, 0, false, "scale_shift".equals(c.resnetTimeScaleShift));
    }

    /** Heads of a self-attention over `channels`: attention_head_dim is a head's width here. */
    private static int heads(UNet2DModelConfig c, int channels) {
        if (c.attentionHeadDim == 0) return 1;
        if (c.attentionHeadDim < 1 || channels % c.attentionHeadDim != 0)
            throw new IllegalArgumentException("attention_head_dim " + c.attentionHeadDim + " (the width of a head in a UNet2DModel) does not divide "
                    + channels + " channels");
        return channels / c.attentionHeadDim;
    }

    /** The real classes: the table's rows less the "no class" row where it has one. */
    @Override public int numClasses() { return nullClass ? numClassEmbeds - 1 : numClassEmbeds; }

    @Override public int contextDim() { return 0; }

    @Override public UNet2DModelConfig withLearnSigma(boolean v) { return withChannels(inChannels, v ? 2 * inChannels : inChannels, sampleSize); }

    @Override public UNet2DModelConfig withInput(int channels, int res) { return withChannels(channels, learnSigma() ? 2 * channels : channels, res); }

    /** n real classes, keeping the "no class" row if this config has one. */
    @Override public UNet2DModelConfig withClasses(int n) {
        boolean keepNull = nullClass && n > 0;
        return new UNet2DModelConfig(sampleSize, inChannels, outChannels, centerInputSample, timeEmbeddingType, timeEmbeddingDim, freqShift,
                flipSinToCos, downBlockTypes, midBlockType, upBlockTypes, blockOutChannels, layersPerBlock, midBlockScaleFactor, downsamplePadding,
                downsampleType, upsampleType, dropout, actFn, attentionHeadDim, normNumGroups, attnNormNumGroups, normEps, resnetTimeScaleShift,
                addAttention, classEmbedType, Math.max(0, n) + (keepNull ? 1 : 0), numTrainTimesteps, keepNull);
    }

    @Override public UNet2DModelConfig withContextDim(int d) {
        if (d != 0) throw new IllegalArgumentException("a UNet2DModel has no cross-attention; a text context needs a UNet2DConditionModel");
        return this;
    }

    private UNet2DModelConfig withChannels(int in, int out, int size) {
        return new UNet2DModelConfig(size, in, out, centerInputSample, timeEmbeddingType, timeEmbeddingDim, freqShift,
                flipSinToCos, downBlockTypes, midBlockType, upBlockTypes, blockOutChannels, layersPerBlock, midBlockScaleFactor, downsamplePadding,
                downsampleType, upsampleType, dropout, actFn, attentionHeadDim, normNumGroups, attnNormNumGroups, normEps, resnetTimeScaleShift,
                addAttention, classEmbedType, numClassEmbeds, numTrainTimesteps, nullClass);
    }
}
