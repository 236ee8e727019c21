package dev.diffusion4j.models.unet2d;

import dev.diffusion4j.models.UNet2DConfig;
import java.util.List;

/** The checks both diffusers U-Net configs share, so both refuse the same things in the same words. */
final class ConfigChecks {
    private ConfigChecks() {}

    static void check(int sampleSize, int inChannels, int outChannels, List<Integer> blockOutChannels, int layersPerBlock, int groups,
                      String actFn, String timeEmbeddingType, String timeScaleShift, int timeEmbeddingDim, int numClassEmbeds,
                      String classEmbedType, boolean nullClass) {
        if (sampleSize < 1 || inChannels < 1 || outChannels < 1 || layersPerBlock < 1 || groups < 1)
            throw new IllegalArgumentException("sample_size, in_channels, out_channels, layers_per_block and norm_num_groups must be positive, got "
                    + sampleSize + ", " + inChannels + ", " + outChannels + ", " + layersPerBlock + ", " + groups);
        if (blockOutChannels.isEmpty()) throw new IllegalArgumentException("block_out_channels is empty: give one width per level");
        for (int c : blockOutChannels)
            if (c < 1 || c % groups != 0)
                throw new IllegalArgumentException("block_out_channels " + blockOutChannels + ": every width must be a positive multiple of norm_num_groups "
                        + groups + ", " + c + " is not");
        if (!"silu".equals(actFn) && !"swish".equals(actFn)) throw UNet2DConfig.unsupported("act_fn", actFn, "silu (swish)");
        if (!"positional".equals(timeEmbeddingType)) throw UNet2DConfig.unsupported("time_embedding_type", timeEmbeddingType, "positional");
        if (!"default".equals(timeScaleShift) && !"scale_shift".equals(timeScaleShift))
            throw UNet2DConfig.unsupported("resnet_time_scale_shift", timeScaleShift, "default, scale_shift");
        if (timeEmbeddingDim < 0) throw new IllegalArgumentException("time_embedding_dim must be positive or null, got " + timeEmbeddingDim);
        if (!classEmbedType.isEmpty()) throw UNet2DConfig.unsupported("class_embed_type", classEmbedType, "null (a class_embedding table when num_class_embeds is set)");
        if (numClassEmbeds < 0) throw new IllegalArgumentException("num_class_embeds must be positive or null, got " + numClassEmbeds);
        if (nullClass && numClassEmbeds < 2)
            throw new IllegalArgumentException(UNet2DConfig.NULL_CLASS_KEY + " true marks the last of num_class_embeds rows as 'no class', so it needs "
                    + "at least 2 (a class and the 'no class' row), got " + (numClassEmbeds == 0 ? "null" : String.valueOf(numClassEmbeds)));
    }
}
