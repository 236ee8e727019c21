package dev.diffusion4j.data;

/**
 * An image read one row at a time, already converted to the wanted channel count. Resizing
 * pulls rows so a large photo is never held as a full float copy.
 */
interface RowSource {
    int width();

    int height();

    int channels();

    /** Writes row {@code y} channel-major into {@code dst}: {@code dst[ch * width() + x]}. */
    void readRow(int y, float[] dst);
}
