package dev.diffusion4j.metrics;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;

/** Brings images to the channels and size a feature network reads: gray repeated to RGB, RGB averaged to gray, bilinear resize. */
final class ImageAdapter {
    private ImageAdapter() {}

    static Tensor adapt(Tensor x, int channels, int size) {
        int c = x.shape(1);
        if (channels > 0 && c != channels) {
            if (c == 1) x = x.expand(x.shape(0), channels, x.shape(2), x.shape(3)).contiguous();
            else if (channels == 1) x = x.mean(1, true);
            else throw new IllegalArgumentException("cannot turn " + c + "-channel images into the " + channels + " channels the feature network reads");
        }
        if (size > 0 && (x.shape(2) != size || x.shape(3) != size)) x = F.upsampleBilinear(x, size, size);
        return x;
    }
}
