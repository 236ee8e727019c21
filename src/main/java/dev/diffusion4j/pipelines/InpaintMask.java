package dev.diffusion4j.pipelines;

import dev.diffusion4j.engine.Tensor;

/**
 * A mask picture turned into the 0/1 mask {@link Inpainting} takes (1 keep, 0 regenerate). Each pixel's brightness in
 * [0, 1] is cut at {@code threshold}: at or above it is white, below black. By default white marks the region to
 * regenerate (the painted-over part, as most editors draw it); {@code whiteKeeps} swaps the roles.
 * {@link #greyFraction} measures how far the picture is from black and white, so a caller can refuse a photo given
 * as a mask instead of silently cutting it.
 *
 * @param keep         h * w values, 1 where the input is kept, 0 where it is regenerated
 * @param greyFraction share of pixels with brightness strictly between {@link #GREY_LOW} and {@link #GREY_HIGH}
 */
public record InpaintMask(float[] keep, int h, int w, double greyFraction) {
    /** Brightness bounds of "grey": anything darker is black, anything brighter white, threshold or not. */
    public static final double GREY_LOW = 0.1, GREY_HIGH = 0.9;

    /** Cuts {@code brightness} (h * w values in [0, 1]) at {@code threshold} in (0, 1). */
    public static InpaintMask threshold(float[] brightness, int h, int w, double threshold, boolean whiteKeeps) {
        if (!(threshold > 0 && threshold < 1)) throw new IllegalArgumentException("mask threshold must be in (0, 1), got " + threshold);
        if (brightness.length != h * w) throw new IllegalArgumentException("mask of " + brightness.length + " values is not " + h + "x" + w);
        float[] keep = new float[h * w];
        int grey = 0;
        for (int i = 0; i < keep.length; i++) {
            float v = brightness[i];
            if (v > GREY_LOW && v < GREY_HIGH) grey++;
            boolean white = v >= threshold;
            keep[i] = white == whiteKeeps ? 1f : 0f;
        }
        return new InpaintMask(keep, h, w, keep.length == 0 ? 0 : (double) grey / keep.length);
    }

    /** Share of pixels to regenerate. */
    public double regenerateFraction() {
        int n = 0;
        for (float k : keep) if (k == 0) n++;
        return keep.length == 0 ? 0 : (double) n / keep.length;
    }

    /** The mask as a [1, 1, h, w] f32 tensor, broadcasting over batch and channels. */
    public Tensor tensor() { return Tensor.of(keep.clone(), 1, 1, h, w); }
}
