package dev.diffusion4j.data;

/** Rows of a float CHW image, converting 1 to 3 channels (replicate) or 3 to 1 (luma). */
final class ChwRows implements RowSource {
    private final float[] data;
    private final int off;
    private final int srcChannels;
    private final int h;
    private final int w;
    private final int channels;

    ChwRows(float[] data, int off, int srcChannels, int h, int w, int channels) {
        boolean ok = channels == srcChannels || (srcChannels == 1 && channels == 3)
                || (srcChannels == 3 && channels == 1);
        if (!ok) {
            throw new IllegalArgumentException(
                    "cannot convert " + srcChannels + " channels to " + channels);
        }
        this.data = data;
        this.off = off;
        this.srcChannels = srcChannels;
        this.h = h;
        this.w = w;
        this.channels = channels;
    }

    @Override public int width() { return w; }

    @Override public int height() { return h; }

    @Override public int channels() { return channels; }

    @Override
    public void readRow(int y, float[] dst) {
        int plane = h * w;
        int row = off + y * w;
        if (channels == srcChannels) {
            for (int ch = 0; ch < channels; ch++) System.arraycopy(data, row + ch * plane, dst, ch * w, w);
        } else if (channels == 3) {
            for (int ch = 0; ch < 3; ch++) System.arraycopy(data, row, dst, ch * w, w);
        } else {
            for (int x = 0; x < w; x++) {
                dst[x] = Pixels.luma(data[row + x], data[row + plane + x], data[row + 2 * plane + x]);
            }
        }
    }
}
