package dev.diffusion4j.models;

import dev.diffusion4j.io.ConfigJson;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * Hyper-parameters of the DDPM/ADM U-Net. The defaults reproduce the DDPM reference (Ho et al. 2020): no
 * scale-shift, one attention head, strided-conv downsampling, PyTorch default initialisation.
 *
 * @param inChannels        image channels
 * @param baseChannels      channels at the first resolution
 * @param channelMult       channel multiplier per resolution level
 * @param numResBlocks      ResNet blocks per level on the way down (one more on the way up)
 * @param attentionResolutions feature-map sizes at which self-attention follows each ResNet block
 * @param resolution        input size (square)
 * @param dropout           dropout inside ResNet blocks
 * @param headChannels      channels per attention head (0: use numHeads)
 * @param numHeads          attention heads when headChannels is 0
 * @param scaleShift        adaptive GroupNorm: the time embedding scales and shifts the normalised features
 * @param learnSigma        doubled output channels for learned variance
 * @param convResample      strided conv down / nearest+conv up (false: average pooling down, nearest up)
 * @param zeroInitOutputs   zero-initialise the last conv of each block and the output conv (ADM style)
 * @param numClasses        class-conditional when > 0 (a label embedding added to the time embedding; label
 *                          numClasses is the "no class" used by classifier-free guidance)
 * @param normGroups        GroupNorm groups (32 in DDPM; fewer suits very narrow models)
 * @param lowResChannels    super-resolution stage (cascaded diffusion) when > 0: channels of the upsampled low-resolution
 *                          image concatenated to x_t at the input (the output keeps inChannels), and an embedding of the
 *                          noise-augmentation level added to the time embedding; 0 for an ordinary U-Net
 * @param contextDim        text-conditioned when > 0: at the attention resolutions (and the middle) a spatial transformer
 *                          follows the self-attention and cross-attends to a context [N, L, contextDim] (a text encoder's
 *                          hidden states, under "context" in the conditioning); 0 (not written to JSON) for none
 * @param transformerOnly   with a context: Stable Diffusion's layout, where an attention level holds only the spatial
 *                          transformer (whose attn1 is the self-attention), no separate self-attention block before it;
 *                          false (not written to JSON): self-attention, then the spatial transformer
 */
public record UNetConfig(int inChannels, int baseChannels, int[] channelMult, int numResBlocks, int[] attentionResolutions,
                         int resolution, double dropout, int headChannels, int numHeads, boolean scaleShift, boolean learnSigma,
                         boolean convResample, boolean zeroInitOutputs, int numClasses, int normGroups,
                         @com.fasterxml.jackson.annotation.JsonProperty(defaultValue = "0")
                         @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT) int lowResChannels,
                         @com.fasterxml.jackson.annotation.JsonProperty(defaultValue = "0")
                         @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT) int contextDim,
                         @com.fasterxml.jackson.annotation.JsonProperty(defaultValue = "false")
                         @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT) boolean transformerOnly) implements ModelConfig {
    public static final String ARCH = "unet";

    public UNetConfig {
        // messages name the values, not this: the fields are not assigned until the constructor ends
        if (inChannels < 1 || baseChannels < 1 || numResBlocks < 1 || resolution < 1)
            throw new IllegalArgumentException("U-Net sizes must be positive: in_channels " + inChannels + ", base_channels " + baseChannels
                    + ", num_res_blocks " + numResBlocks + ", resolution " + resolution);
        if (channelMult.length == 0 || Arrays.stream(channelMult).anyMatch(m -> m < 1))
            throw new IllegalArgumentException("channel_mult needs one or more positive multipliers, got " + Arrays.toString(channelMult));
        if (Arrays.stream(attentionResolutions).anyMatch(a -> a < 1))
            throw new IllegalArgumentException("attention_resolutions must be positive sizes, got " + Arrays.toString(attentionResolutions));
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        if (headChannels < 0 || numHeads < 1)
            throw new IllegalArgumentException("attention needs head_channels >= 0 and num_heads >= 1, got " + headChannels + " and " + numHeads);
        if (numClasses < 0) throw new IllegalArgumentException("num_classes must be >= 0 (0: unconditional), got " + numClasses);
        if (normGroups < 1 || baseChannels % normGroups != 0)
            throw new IllegalArgumentException("base channels (" + baseChannels + ") must be divisible by the GroupNorm groups (" + normGroups + ")");
        if (lowResChannels < 0) throw new IllegalArgumentException("low_res_channels must be >= 0 (0: not a super-resolution stage), got " + lowResChannels);
        if (contextDim < 0) throw new IllegalArgumentException("context_dim must be >= 0 (0: no cross-attention), got " + contextDim);
        if (transformerOnly && contextDim == 0) throw new IllegalArgumentException("transformer_only (Stable Diffusion's attention layout) needs a context_dim > 0");
        int r = resolution;
        for (int i = 0; i < channelMult.length - 1; i++) {
            if (r % 2 != 0) throw new IllegalArgumentException("resolution " + resolution + " cannot be halved " + (channelMult.length - 1) + " times");
            r /= 2;
        }
        channelMult = channelMult.clone();
        attentionResolutions = attentionResolutions.clone();
    }

    /** A configuration without a super-resolution input (what every preset is). */
    public UNetConfig(int inChannels, int baseChannels, int[] channelMult, int numResBlocks, int[] attentionResolutions, int resolution,
                      double dropout, int headChannels, int numHeads, boolean scaleShift, boolean learnSigma, boolean convResample,
                      boolean zeroInitOutputs, int numClasses, int normGroups) {
        this(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, dropout, headChannels, numHeads,
                scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups, 0, 0, false);
    }

    /** A configuration without cross-attention. */
    public UNetConfig(int inChannels, int baseChannels, int[] channelMult, int numResBlocks, int[] attentionResolutions, int resolution,
                      double dropout, int headChannels, int numHeads, boolean scaleShift, boolean learnSigma, boolean convResample,
                      boolean zeroInitOutputs, int numClasses, int normGroups, int lowResChannels) {
        this(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, dropout, headChannels, numHeads,
                scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups, lowResChannels, 0, false);
    }

    @Override public String arch() { return ARCH; }
    @Override public UNet build(dev.diffusion4j.engine.Generator gen) { return new UNet(this, gen); }
    public int timeEmbedChannels() { return 4 * baseChannels; }

    @Override public UNetConfig withLearnSigma(boolean v) {
        return new UNetConfig(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, dropout,
                headChannels, numHeads, scaleShift, v, convResample, zeroInitOutputs, numClasses, normGroups, lowResChannels, contextDim, transformerOnly);
    }

    @Override public UNetConfig withClasses(int n) {
        return new UNetConfig(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, dropout,
                headChannels, numHeads, scaleShift, learnSigma, convResample, zeroInitOutputs, n, normGroups, lowResChannels, contextDim, transformerOnly);
    }

    @Override public UNetConfig withInput(int channels, int res) {
        return new UNetConfig(channels, baseChannels, channelMult, numResBlocks, attentionResolutions, res, dropout,
                headChannels, numHeads, scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups, lowResChannels, contextDim, transformerOnly);
    }

    /** This U-Net as a super-resolution stage that reads a low-resolution image of {@code c} channels beside x_t. */
    public UNetConfig withLowResChannels(int c) {
        return new UNetConfig(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, dropout,
                headChannels, numHeads, scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups, c, contextDim, transformerOnly);
    }

    /** A configuration in the layout text-conditioned U-Nets had before transformer_only. */
    public UNetConfig(int inChannels, int baseChannels, int[] channelMult, int numResBlocks, int[] attentionResolutions, int resolution,
                      double dropout, int headChannels, int numHeads, boolean scaleShift, boolean learnSigma, boolean convResample,
                      boolean zeroInitOutputs, int numClasses, int normGroups, int lowResChannels, int contextDim) {
        this(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, dropout, headChannels, numHeads,
                scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups, lowResChannels, contextDim, false);
    }

    /** This text-conditioned U-Net in Stable Diffusion's attention layout (only a spatial transformer per attention) or not. */
    public UNetConfig withTransformerOnly(boolean v) {
        return new UNetConfig(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, dropout,
                headChannels, numHeads, scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups, lowResChannels, contextDim, v);
    }

    /** This U-Net with cross-attention to a context of width {@code d} (0: none). */
    public UNetConfig withContextDim(int d) {
        return new UNetConfig(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, dropout,
                headChannels, numHeads, scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups, lowResChannels, d, transformerOnly && d > 0);
    }

    public UNetConfig withDropout(double d) {
        return new UNetConfig(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, d,
                headChannels, numHeads, scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups, lowResChannels, contextDim, transformerOnly);
    }

    @Override public Map<String, Object> toJson() { return ConfigJson.toMap(this); }

    /** Binds a parsed "model" section strictly: every key is required, none unknown. */

    // the arrays make the generated equals/hashCode compare identities; configs compare by value
    @Override public boolean equals(Object o) {
        return o instanceof UNetConfig c && inChannels == c.inChannels && baseChannels == c.baseChannels
                && Arrays.equals(channelMult, c.channelMult) && numResBlocks == c.numResBlocks
                && Arrays.equals(attentionResolutions, c.attentionResolutions) && resolution == c.resolution
                && Double.compare(dropout, c.dropout) == 0 && headChannels == c.headChannels && numHeads == c.numHeads
                && scaleShift == c.scaleShift && learnSigma == c.learnSigma && convResample == c.convResample
                && zeroInitOutputs == c.zeroInitOutputs && numClasses == c.numClasses && normGroups == c.normGroups
                && lowResChannels == c.lowResChannels && contextDim == c.contextDim && transformerOnly == c.transformerOnly;
    }

    @Override public int hashCode() {
        return Objects.hash(inChannels, baseChannels, Arrays.hashCode(channelMult), numResBlocks, Arrays.hashCode(attentionResolutions),
                resolution, dropout, headChannels, numHeads, scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups, lowResChannels, contextDim, transformerOnly);
    }

    @Override public String toString() { return "UNetConfig" + toJson(); }
}
