package dev.diffusion4j.metrics;

import dev.diffusion4j.engine.Tensor;

/**
 * Maps images to feature vectors for the Fréchet distance, KID and precision/recall. Implementations: {@link PixelFeatures}
 * (always available), {@link ClassifierFeatures} (a classifier trained with {@code diffuse train-features}),
 * {@link EncoderFeatures} (a diffusion run's U-Net encoder).
 */
public interface FeatureNetwork {
    /** The name every reported number carries, e.g. {@code pixels-8x8} or {@code classifier:runs/features@1a2b3c4d}. */
    String name();

    /** A digest of the weights (or of the fixed transform): reference features are cached under it. */
    String weightsHash();

    /** Length of a feature vector. */
    int dim();

    /** Channels the network reads, or 0 when it takes any. Datasets are opened with these. */
    int inputChannels();

    /** Square image size the network reads, or 0 when it takes any. */
    int inputSize();

    /** Features of images {@code [N, C, H, W]} in [-1, 1] (any device), as N rows of {@link #dim()} floats. */
    float[] features(Tensor images);

    /** The name of a trained network's features: its kind, where its weights came from and their digest's first 8 digits. */
    static String trainedName(String kind, String source, String weightsHash) {
        return kind + ":" + source + "@" + weightsHash.substring(0, Math.min(8, weightsHash.length()));
    }
}
