package dev.diffusion4j.data;

import java.awt.image.BufferedImage;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image files with ImageIO, strictly: the size is read from the header and checked
 * against {@link ImageLimits} before any pixel is decoded, and a file that is cut off or that
 * the decoder had to patch up (ImageIO fills missing JPEG data with grey and only warns) fails
 * instead of giving a wrong image. Failures come back as a value, not an exception.
 */
final class ImageDecoder {
    private ImageDecoder() {}

    /** Why a file was refused, in the words of the summary line ("2 truncated, 1 too large"). */
    enum Problem {
        EMPTY("empty"), TRUNCATED("truncated"), TOO_LARGE("too large"), CORRUPT("corrupt"),
        NOT_AN_IMAGE("not a readable image"), UNREADABLE("unreadable");

        final String label;

        Problem(String label) { this.label = label; }
    }

    /** A refusal: its class and the detail that names the cause. */
    record Failure(Problem problem, String detail) {
        String describe() { return problem.label + ": " + detail; }

        /** What the user can do about it. */
        String fix() {
            return switch (problem) {
                case TOO_LARGE -> "shrink the image, or " + ImageLimits.howToRaise();
                case UNREADABLE -> "check the file's permissions";
                default -> "re-save or re-download it (e.g. open it in an image viewer), or remove it";
            };
        }
    }

    /** Outcome of a decode: either the image or why it could not be read. */
    record Result(BufferedImage image, Failure failure) {
        static Result failed(Problem p, String detail) { return new Result(null, new Failure(p, detail)); }
    }

    static Result decode(Path file) {
        long limit = ImageLimits.maxPixels(); // outside the try: a bad setting is the user's error, not the file's
        try (ImageInputStream in = new ChannelImageInputStream(Files.newByteChannel(file))) {
            if (in.length() == 0) return Result.failed(Problem.EMPTY, "the file has 0 bytes (a copy or download that did not finish?)");
            String cut = ImageTruncation.check(in);
            if (cut != null) return Result.failed(Problem.TRUNCATED, cut);
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) return Result.failed(Problem.NOT_AN_IMAGE, "no image decoder recognises its contents");
            ImageReader reader = readers.next();
            try {
                return read(reader, in, limit);
            } finally {
                reader.dispose();
            }
        } catch (AccessDeniedException e) {
            return Result.failed(Problem.UNREADABLE, "permission denied");
        } catch (NoSuchFileException e) {
            return Result.failed(Problem.UNREADABLE, "it no longer exists");
        } catch (IOException | RuntimeException e) {
            // Decoders throw unchecked exceptions on some corrupt inputs too.
            return Result.failed(endsEarly(e) ? Problem.TRUNCATED : Problem.CORRUPT, reason(e));
        }
    }

    private static Result read(ImageReader reader, ImageInputStream in, long limit) throws IOException {
        reader.setInput(in, true, true);
        int w = reader.getWidth(0), h = reader.getHeight(0);
        if (w <= 0 || h <= 0) return Result.failed(Problem.CORRUPT, "its header declares " + w + "x" + h + " pixels");
        if ((long) w * h > limit) {
            return Result.failed(Problem.TOO_LARGE, w + "x" + h + " pixels, more than the limit of " + limit);
        }
        long raster = rasterBytes(reader, w, h);
        if (!HeapBudget.fits(raster)) {
            return Result.failed(Problem.TOO_LARGE, w + "x" + h + " pixels need " + HeapBudget.mib(raster)
                    + " decoded but " + HeapBudget.shortOf());
        }
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((r, message) -> warnings.add(message));
        BufferedImage img = reader.read(0);
        if (!warnings.isEmpty()) {
            boolean cutOff = warnings.stream().anyMatch(ImageDecoder::saysCutOff);
            return Result.failed(cutOff ? Problem.TRUNCATED : Problem.CORRUPT,
                    "the decoder reported missing or damaged data (" + String.join("; ", warnings) + ")");
        }
        return new Result(img, null);
    }

    /** Bytes of the raster the reader will allocate: its pixel layout's bits per pixel times the pixels. */
    private static long rasterBytes(ImageReader reader, int w, int h) throws IOException {
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        int bits = 32;
        if (types != null && types.hasNext()) {
            int[] sizes = types.next().getSampleModel(1, 1).getSampleSize();
            bits = 0;
            for (int s : sizes) bits += s;
        }
        return (long) w * h * Math.max(1, (bits + 7) / 8);
    }

    private static boolean saysCutOff(String warning) {
        String w = warning.toLowerCase(Locale.ROOT);
        return w.contains("premature end") || w.contains("truncated") || w.contains("missing eoi");
    }

    private static boolean endsEarly(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof EOFException) return true;
        }
        return false;
    }

    private static String reason(Exception e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String msg = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        if (t instanceof RuntimeException) msg = "the decoder failed on damaged data (" + t.getClass().getSimpleName() + ": " + msg + ")";
        if (t instanceof EOFException) msg = "the file ends early";
        return e == t || e.getMessage() == null ? msg : e.getMessage() + ": " + msg;
    }
}
