package dev.diffusion4j.models.autoencoder;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Hyper-parameters of {@link VQModel} under the keys of diffusers' VQModel config.json, with diffusers' defaults.
 *
 * @param vqEmbedDim         codebook vector width; 0 means latent_channels (null in diffusers)
 * @param normType           the decoder's norm; only "group" is supported ("spatial", MoVQ's, is refused)
 * @param lookupFromCodebook diffusers' flag for decoding code indices; kept for the round trip
 */
public record VQModelConfig(
        @JsonProperty(defaultValue = "3") int inChannels,
        @JsonProperty(defaultValue = "3") int outChannels,
        @JsonProperty(defaultValue = "[\"DownEncoderBlock2D\"]") List<String> downBlockTypes,
        @JsonProperty(defaultValue = "[\"UpDecoderBlock2D\"]") List<String> upBlockTypes,
        @JsonProperty(defaultValue = "[64]") List<Integer> blockOutChannels,
        @JsonProperty(defaultValue = "1") int layersPerBlock,
        @JsonProperty(defaultValue = "silu") String actFn,
        @JsonProperty(defaultValue = "3") int latentChannels,
        @JsonProperty(defaultValue = "32") int sampleSize,
        @JsonProperty(defaultValue = "256") int numVqEmbeddings,
        @JsonProperty(defaultValue = "32") int normNumGroups,
        @JsonProperty(defaultValue = "0") int vqEmbedDim,
        @JsonProperty(defaultValue = "0.18215") double scalingFactor,
        @JsonProperty(defaultValue = "group") String normType,
        @JsonProperty(defaultValue = "true") boolean midBlockAddAttention,
        @JsonProperty(defaultValue = "false") boolean lookupFromCodebook,
        @JsonProperty(defaultValue = "false") boolean forceUpcast) implements AutoencoderConfig {

    public VQModelConfig {
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        blockOutChannels = List.copyOf(blockOutChannels);
        AutoencoderShape.check(inChannels, outChannels, downBlockTypes, upBlockTypes, blockOutChannels, layersPerBlock, actFn,
                latentChannels, normNumGroups);
        if (numVqEmbeddings < 1) throw new IllegalArgumentException("num_vq_embeddings must be positive, got " + numVqEmbeddings);
        if (vqEmbedDim < 0) throw new IllegalArgumentException("vq_embed_dim must be positive (or null for latent_channels), got " + vqEmbedDim);
        if (!"group".equals(normType))
            throw new IllegalArgumentException("norm_type '" + normType + "' is not supported: only group is (spatial norm, MoVQ's, is not)");
    }

    public static VQModelConfig of(int imageChannels, List<Integer> blockOutChannels, int layersPerBlock, int latentChannels,
                                   int normGroups, int sampleSize, int codes, int codeDim) {
        int n = blockOutChannels.size();
        return new VQModelConfig(imageChannels, imageChannels, java.util.Collections.nCopies(n, AutoencoderShape.DOWN_BLOCK),
                java.util.Collections.nCopies(n, AutoencoderShape.UP_BLOCK), blockOutChannels, layersPerBlock, "silu", latentChannels,
                sampleSize, codes, normGroups, codeDim, 0.18215, "group", true, false, false);
    }

    /** The codebook vector width: vq_embed_dim, or latent_channels when unset. */
    public int codeDim() { return vqEmbedDim == 0 ? latentChannels : vqEmbedDim; }

    public int downsampleFactor() { return 1 << (blockOutChannels.size() - 1); }

    @Override public VQModel build(dev.diffusion4j.engine.Generator gen) { return new VQModel(this, gen); }

    @Override public String className() { return "VQModel"; }

    @Override public long parameterCount() {
        long d = codeDim(), z = latentChannels;
        return AutoencoderShape.encoderParams(inChannels, latentChannels, blockOutChannels, layersPerBlock, midBlockAddAttention)
                + AutoencoderShape.decoderParams(latentChannels, outChannels, blockOutChannels, layersPerBlock, midBlockAddAttention)
                + (z * d + d) + (long) numVqEmbeddings * d + (d * z + z);
    }
}
