package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.autoencoder.Autoencoder;

/** Whether a dataset fits an autoencoder, and the fixed images its grids show. */
public final class AutoencoderData {
    private AutoencoderData() {}

    /** Refuses, in one message naming the fix, images the autoencoder cannot take. */
    public static void check(Autoencoder ae, ImageDataset data) {
        if (data.channels() != ae.imageChannels())
            throw new IllegalArgumentException(data.describe() + " has " + data.channels() + "-channel images but the autoencoder takes "
                    + ae.imageChannels() + "; give --channels " + ae.imageChannels());
        int f = ae.downsampleFactor();
        if (data.height() % f != 0 || data.width() % f != 0)
            throw new IllegalArgumentException(data.describe() + " has " + data.height() + "x" + data.width() + " images, but the autoencoder "
                    + "downsamples " + f + "x, so both sides must be multiples of " + f + "; give an --image-size that is");
    }

    /** The first {@code n} images as [n, C, H, W] on the CPU. */
    public static Tensor first(ImageDataset data, int n) { return range(data, 0, n); }

    /** Images {@code from .. from+n-1} as [n, C, H, W] on the CPU. */
    public static Tensor range(ImageDataset data, int from, int n) {
        int len = data.imageLength();
        float[] v = new float[n * len];
        for (int i = 0; i < n; i++) data.load(from + i, v, i * len);
        return Tensor.of(v, n, data.channels(), data.height(), data.width());
    }
}
