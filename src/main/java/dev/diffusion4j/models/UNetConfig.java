package dev.diffusion4j.models;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
 */
public record UNetConfig(int inChannels, int baseChannels, int[] channelMult, int numResBlocks, int[] attentionResolutions,
                         int resolution, double dropout, int headChannels, int numHeads, boolean scaleShift, boolean learnSigma,
                         boolean convResample, boolean zeroInitOutputs, int numClasses, int normGroups) implements ModelConfig {
    public static final String ARCH = "unet";

    public UNetConfig {
        if (inChannels < 1 || baseChannels < 1 || numResBlocks < 1 || resolution < 1)
            throw new IllegalArgumentException("U-Net sizes must be positive: " + this);
        if (normGroups < 1 || baseChannels % normGroups != 0)
            throw new IllegalArgumentException("base channels (" + baseChannels + ") must be divisible by the GroupNorm groups (" + normGroups + ")");
        int r = resolution;
        for (int i = 0; i < channelMult.length - 1; i++) {
            if (r % 2 != 0) throw new IllegalArgumentException("resolution " + resolution + " cannot be halved " + (channelMult.length - 1) + " times");
            r /= 2;
        }
        channelMult = channelMult.clone();
        attentionResolutions = attentionResolutions.clone();
    }

    @Override public String arch() { return ARCH; }
    @Override public UNet build(dev.diffusion4j.engine.Generator gen) { return new UNet(this, gen); }
    public int timeEmbedChannels() { return 4 * baseChannels; }

    @Override public UNetConfig withLearnSigma(boolean v) {
        return new UNetConfig(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, dropout,
                headChannels, numHeads, scaleShift, v, convResample, zeroInitOutputs, numClasses, normGroups);
    }

    @Override public UNetConfig withClasses(int n) {
        return new UNetConfig(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, dropout,
                headChannels, numHeads, scaleShift, learnSigma, convResample, zeroInitOutputs, n, normGroups);
    }

    @Override public UNetConfig withInput(int channels, int res) {
        return new UNetConfig(channels, baseChannels, channelMult, numResBlocks, attentionResolutions, res, dropout,
                headChannels, numHeads, scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups);
    }

    public UNetConfig withDropout(double d) {
        return new UNetConfig(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, d,
                headChannels, numHeads, scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups);
    }

    @Override public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", ARCH);
        m.put("in_channels", inChannels);
        m.put("base_channels", baseChannels);
        m.put("channel_mult", toList(channelMult));
        m.put("num_res_blocks", numResBlocks);
        m.put("attention_resolutions", toList(attentionResolutions));
        m.put("resolution", resolution);
        m.put("dropout", dropout);
        m.put("head_channels", headChannels);
        m.put("num_heads", numHeads);
        m.put("scale_shift", scaleShift);
        m.put("learn_sigma", learnSigma);
        m.put("conv_resample", convResample);
        m.put("zero_init_outputs", zeroInitOutputs);
        m.put("num_classes", numClasses);
        m.put("norm_groups", normGroups);
        return m;
    }

    private static List<Object> toList(int[] a) { return Arrays.stream(a).boxed().map(Object.class::cast).toList(); }

    public static UNetConfig fromJson(Map<String, Object> m) {
        return new UNetConfig(num(m, "in_channels"), num(m, "base_channels"), ints(m, "channel_mult"), num(m, "num_res_blocks"),
                ints(m, "attention_resolutions"), num(m, "resolution"), ((Number) m.get("dropout")).doubleValue(),
                num(m, "head_channels"), num(m, "num_heads"), (Boolean) m.get("scale_shift"), (Boolean) m.get("learn_sigma"),
                (Boolean) m.get("conv_resample"), (Boolean) m.get("zero_init_outputs"), num(m, "num_classes"), num(m, "norm_groups"));
    }

    private static int num(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("model config: '" + k + "' missing or not a number");
        return n.intValue();
    }

    private static int[] ints(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof List<?> l)) throw new IllegalArgumentException("model config: '" + k + "' missing or not a list");
        return l.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }

    @Override public boolean equals(Object o) {
        return o instanceof UNetConfig c && toJson().equals(c.toJson());
    }

    @Override public int hashCode() { return toJson().hashCode(); }

    @Override public String toString() { return "UNetConfig" + toJson(); }
}
