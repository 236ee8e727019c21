package dev.diffusion4j.cli;

import dev.diffusion4j.data.ImageResize;
import dev.diffusion4j.data.Pngs;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.pipelines.InpaintMask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the images and the mask of an edit and checks them against the model before any work: a missing or
 * unreadable file, the wrong channel count, the wrong size (unless --resize), a mask of another size than the image
 * or one that is not black and white each end in one message naming the file and the fix.
 */
final class EditInputs {
    /** Grey pixels a mask may have (anti-aliased edges) before it must be cut knowingly, with --mask-threshold. */
    static final double MAX_GREY = 0.1;

    private EditInputs() {}

    /** An input image as the model takes it: CHW in [-1, 1]; {@code h}, {@code w} its size in the file. */
    record Picture(Path file, String stem, float[] chw, int h, int w) {}

    static List<Picture> images(List<Path> files, int channels, int size, boolean resize) {
        List<Picture> out = new ArrayList<>();
        for (Path f : files) {
            Pngs.Image img = read(f, "image", 0);
            float[] data = matchChannels(f, img, channels);
            Pngs.Image fitted = new Pngs.Image(data, channels, img.h(), img.w());
            if (img.h() != size || img.w() != size) {
                if (!resize) throw new IllegalArgumentException("image " + f + " is " + img.w() + "x" + img.h() + " pixels but the model takes "
                        + size + "x" + size + ": resize it first, or pass --resize (scales the shorter side to " + size + " and crops the centre)");
                fitted = ImageResize.centerCrop(fitted, size);
            }
            out.add(new Picture(f, EditOutputs.stem(f), fitted.data(), img.h(), img.w()));
        }
        return out;
    }

    /**
     * The mask for every image: the same size as each of them in the file, cut at {@code threshold} (null: 0.5, and
     * the mask must be black and white up to {@link #MAX_GREY} grey pixels), white = regenerate unless {@code whiteKeeps}.
     */
    static InpaintMask mask(Path file, List<Picture> images, int size, Double threshold, boolean whiteKeeps) {
        Pngs.Image m = read(file, "mask", 1);
        for (Picture p : images) {
            if (p.h() != m.h() || p.w() != m.w())
                throw new IllegalArgumentException("mask " + file + " is " + m.w() + "x" + m.h() + " pixels but image " + p.file() + " is "
                        + p.w() + "x" + p.h() + ": give a mask of the image's size");
        }
        float[] bright = brightness(m.data());
        double cut = threshold != null ? threshold : 0.5;
        double grey = InpaintMask.threshold(bright, m.h(), m.w(), cut, whiteKeeps).greyFraction();
        if (threshold == null && grey > MAX_GREY)
            throw new IllegalArgumentException(String.format(Locale.ROOT, "mask %s is not black and white: %.0f%% of its pixels are grey "
                    + "(brightness between 10%% and 90%%); it would be cut at 50%% brightness (brighter = %s): pass --mask-threshold 0.5 "
                    + "to accept that, or save the mask in black and white", file, 100 * grey, whiteKeeps ? "keep" : "regenerate"));
        if (m.h() != size || m.w() != size) {
            bright = brightness(ImageResize.centerCrop(m, size).data());
        }
        InpaintMask mask = InpaintMask.threshold(bright, size, size, cut, whiteKeeps);
        if (mask.regenerateFraction() == 0)
            throw new IllegalArgumentException("mask " + file + " marks nothing to regenerate at threshold " + cut + " ("
                    + (whiteKeeps ? "black" : "white") + " = regenerate): " + (whiteKeeps ? "drop --invert-mask if white marks the region to regenerate"
                    : "paint the region to regenerate white, or pass --invert-mask if black marks it"));
        return mask;
    }

    /** Pictures from..from+n-1 as one [n, channels, size, size] batch. */
    static Tensor batch(List<Picture> pics, int from, int n, int channels, int size) {
        int per = channels * size * size;
        float[] all = new float[n * per];
        for (int i = 0; i < n; i++) System.arraycopy(pics.get(from + i).chw(), 0, all, i * per, per);
        return Tensor.of(all, n, channels, size, size);
    }

    private static Pngs.Image read(Path f, String what, int channels) {
        if (!Files.exists(f)) throw new IllegalArgumentException(what + " " + f + " does not exist");
        if (!Files.isRegularFile(f)) throw new IllegalArgumentException(what + " " + f + " is not a file");
        return Pngs.read(f, channels);
    }

    /** The image's values with the model's channel count; a grey picture stored as RGB counts as grey. */
    private static float[] matchChannels(Path f, Pngs.Image img, int channels) {
        if (img.c() == channels) return img.data();
        int plane = img.h() * img.w();
        if (channels == 1 && img.c() == 3) {
            float[] d = img.data();
            for (int i = 0; i < plane; i++) {
                if (d[i] != d[plane + i] || d[i] != d[2 * plane + i])
                    throw new IllegalArgumentException("image " + f + " is in colour but the model takes grayscale images (1 channel): save it as grayscale first");
            }
            return java.util.Arrays.copyOf(d, plane);
        }
        throw new IllegalArgumentException("image " + f + " is grayscale but the model takes " + channels
                + "-channel (RGB) images: save it as RGB first");
    }

    private static float[] brightness(float[] signed) {
        float[] b = new float[signed.length];
        for (int i = 0; i < b.length; i++) b[i] = (signed[i] + 1f) / 2f;
        return b;
    }
}
