package dev.diffusion4j.data;

/**
 * A held-out split of a dataset that has no test split of its own: every k-th image (from offset k-1) is held out and
 * the rest is kept, so both parts cover every class even when the source is sorted by class.
 */
public final class StridedSplit implements ImageDataset {
    private final ImageDataset source;
    private final int every;
    private final boolean heldOut;
    private final int size;

    private StridedSplit(ImageDataset source, int every, boolean heldOut) {
        if (every < 2) throw new IllegalArgumentException("hold out every k-th image with k >= 2, got " + every);
        this.source = source;
        this.every = every;
        this.heldOut = heldOut;
        int held = source.size() / every;
        this.size = heldOut ? held : source.size() - held;
    }

    /** The images kept for training: all but every k-th. */
    public static ImageDataset kept(ImageDataset source, int every) { return new StridedSplit(source, every, false); }

    /** The held-out images: every k-th. */
    public static ImageDataset heldOut(ImageDataset source, int every) { return new StridedSplit(source, every, true); }

    /** Index into the source of image i of this split. */
    int sourceIndex(int i) {
        if (heldOut) return i * every + every - 1;
        return i + i / (every - 1);   // skips one source index after each run of every-1 kept ones
    }

    @Override public int size() { return size; }
    @Override public int channels() { return source.channels(); }
    @Override public int height() { return source.height(); }
    @Override public int width() { return source.width(); }
    @Override public int numClasses() { return source.numClasses(); }
    @Override public void load(int index, float[] dst, int dstOff) { source.load(sourceIndex(checked(index)), dst, dstOff); }
    @Override public int label(int index) { return source.label(sourceIndex(checked(index))); }
    @Override public String caption(int index) { return source.caption(sourceIndex(checked(index))); }

    @Override public String describe() {
        return (heldOut ? "held-out 1/" + every + " of " : "all but 1/" + every + " of ") + source.describe() + " (" + size + " images)";
    }

    private int checked(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("image " + i + " of " + size);
        return i;
    }
}
