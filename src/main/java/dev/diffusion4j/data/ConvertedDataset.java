package dev.diffusion4j.data;

import java.util.Objects;

/**
 * A view of another dataset with other channels (1 to 3 by replication, 3 to 1 by luma) and/or
 * another square size (shorter side scaled, centre crop). Converts on each load, which for
 * small images such as MNIST (28 to 32) costs far less than a training step.
 */
public final class ConvertedDataset implements ImageDataset {
    private final ImageDataset source;
    private final int channels;
    private final int size;

    private ConvertedDataset(ImageDataset source, int channels, int size) {
        this.source = source;
        this.channels = channels;
        this.size = size;
    }

    /**
     * {@code source} with {@code channels} and {@code size x size} images; a value of 0 or less
     * keeps the source's. Returns {@code source} itself when nothing changes.
     */
    public static ImageDataset of(ImageDataset source, int channels, int size) {
        int c = channels > 0 ? channels : source.channels();
        boolean square = source.height() == source.width();
        int s = size > 0 ? size : (square ? source.height() : Math.min(source.height(), source.width()));
        if (c == source.channels() && s == source.height() && s == source.width()) return source;
        int sc = source.channels();
        if (!(c == sc || (sc == 1 && c == 3) || (sc == 3 && c == 1))) {
            throw new DatasetException("cannot convert " + sc + "-channel images to " + c + " channels",
                    "ask for 1 (gray) or 3 (RGB) channels");
        }
        return new ConvertedDataset(source, c, s);
    }

    @Override
    public void load(int index, float[] dst, int dstOff) {
        Objects.checkIndex(index, source.size());
        int sc = source.channels(), h = source.height(), w = source.width();
        float[] raw = new float[sc * h * w];
        source.load(index, raw, 0);
        float[] out = Resizer.resizeCrop(new ChwRows(raw, 0, sc, h, w, channels), size);
        System.arraycopy(out, 0, dst, dstOff, out.length);
    }

    @Override public int label(int index) { return source.label(index); }
    @Override public String caption(int index) { return source.caption(index); }

    @Override public int size() { return source.size(); }

    @Override public int channels() { return channels; }

    @Override public int height() { return size; }

    @Override public int width() { return size; }

    @Override public int numClasses() { return source.numClasses(); }

    @Override
    public String describe() {
        return source.describe() + ", converted to " + channels + "x" + size + "x" + size;
    }
}
