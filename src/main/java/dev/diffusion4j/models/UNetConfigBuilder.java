package dev.diffusion4j.models;

/**
 * Named setters over {@link UNetConfig}'s positional constructor, starting from a preset:
 * {@code UNetConfigBuilder.from("tiny").baseChannels(64).numClasses(10).build()}. The constructor checks the result.
 */
public final class UNetConfigBuilder {
    private int inChannels, baseChannels, numResBlocks, resolution, headChannels, numHeads, numClasses, normGroups, lowResChannels;
    private int[] channelMult, attentionResolutions;
    private double dropout;
    private boolean scaleShift, learnSigma, convResample, zeroInitOutputs;

    private UNetConfigBuilder(UNetConfig c) {
        inChannels = c.inChannels(); baseChannels = c.baseChannels(); channelMult = c.channelMult(); numResBlocks = c.numResBlocks();
        attentionResolutions = c.attentionResolutions(); resolution = c.resolution(); dropout = c.dropout(); headChannels = c.headChannels();
        numHeads = c.numHeads(); scaleShift = c.scaleShift(); learnSigma = c.learnSigma(); convResample = c.convResample();
        zeroInitOutputs = c.zeroInitOutputs(); numClasses = c.numClasses(); normGroups = c.normGroups(); lowResChannels = c.lowResChannels();
    }

    /** Starts from a U-Net preset ({@link ModelPresets}); fails on an unknown or DiT preset. */
    public static UNetConfigBuilder from(String preset) { return new UNetConfigBuilder(ModelPresets.unet(preset)); }

    /** Starts from an existing configuration. */
    public static UNetConfigBuilder from(UNetConfig c) { return new UNetConfigBuilder(c); }

    public UNetConfigBuilder inChannels(int v) { inChannels = v; return this; }
    public UNetConfigBuilder baseChannels(int v) { baseChannels = v; return this; }
    public UNetConfigBuilder channelMult(int... v) { channelMult = v.clone(); return this; }
    public UNetConfigBuilder numResBlocks(int v) { numResBlocks = v; return this; }
    public UNetConfigBuilder attentionResolutions(int... v) { attentionResolutions = v.clone(); return this; }
    public UNetConfigBuilder resolution(int v) { resolution = v; return this; }
    public UNetConfigBuilder dropout(double v) { dropout = v; return this; }
    public UNetConfigBuilder headChannels(int v) { headChannels = v; return this; }
    public UNetConfigBuilder numHeads(int v) { numHeads = v; return this; }
    public UNetConfigBuilder scaleShift(boolean v) { scaleShift = v; return this; }
    public UNetConfigBuilder learnSigma(boolean v) { learnSigma = v; return this; }
    public UNetConfigBuilder convResample(boolean v) { convResample = v; return this; }
    public UNetConfigBuilder zeroInitOutputs(boolean v) { zeroInitOutputs = v; return this; }
    public UNetConfigBuilder numClasses(int v) { numClasses = v; return this; }
    public UNetConfigBuilder normGroups(int v) { normGroups = v; return this; }
    public UNetConfigBuilder lowResChannels(int v) { lowResChannels = v; return this; }

    public UNetConfig build() {
        return new UNetConfig(inChannels, baseChannels, channelMult, numResBlocks, attentionResolutions, resolution, dropout, headChannels,
                numHeads, scaleShift, learnSigma, convResample, zeroInitOutputs, numClasses, normGroups, lowResChannels);
    }
}
