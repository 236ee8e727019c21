package dev.diffusion4j.data;

/**
 * A fixed-size, random-access collection of images of one shape, each delivered as float CHW
 * in [-1, 1] (the range diffusion models train in).
 *
 * <p>Implementations are immutable after construction, so {@link #load} and {@link #label} may
 * be called from a loader thread while other threads read the metadata.
 */
public interface ImageDataset {
    int size();

    int channels();

    int height();

    int width();

    /** Number of classes, or 0 if the dataset carries no labels. */
    int numClasses();

    /** Writes image {@code index} as CHW floats in [-1, 1] into {@code dst[dstOff ..]}. */
    void load(int index, float[] dst, int dstOff);

    /** Class of image {@code index} in {@code 0 .. numClasses()-1}, or -1 if unlabeled. */
    int label(int index);

    /** A text description of image {@code index} (text-to-image training), or null when the dataset has no captions. */
    default String caption(int index) { return null; }

    /** One line for logs and the CLI: source, count, shape, classes. */
    String describe();

    /** Floats per image: {@code channels() * height() * width()}. */
    default int imageLength() {
        return channels() * height() * width();
    }
}
