package dev.diffusion4j.data;

/** Resizing one decoded image the way the training data is prepared, for inputs that are not yet the model's size. */
public final class ImageResize {
    private ImageResize() {}

    /** Scales the shorter side to {@code size} (area average down, bilinear up) and crops the centre square. */
    public static Pngs.Image centerCrop(Pngs.Image image, int size) {
        if (size < 1) throw new IllegalArgumentException("resize target must be at least 1 pixel, got " + size);
        float[] out = Resizer.resizeCrop(new ChwRows(image.data(), 0, image.c(), image.h(), image.w(), image.c()), size);
        return new Pngs.Image(out, image.c(), size, size);
    }
}
