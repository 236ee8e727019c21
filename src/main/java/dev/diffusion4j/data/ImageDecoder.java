package dev.diffusion4j.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** Decodes image files with ImageIO, reporting failures as a short reason instead of throwing. */
final class ImageDecoder {
    private ImageDecoder() {}

    /** Outcome of a decode: either the image or why it could not be read. */
    record Result(BufferedImage image, String failure) {}

    static Result decode(Path file) {
        try {
            BufferedImage img = ImageIO.read(file.toFile());
            if (img == null) return new Result(null, "no image decoder recognises its contents");
            if (img.getWidth() <= 0 || img.getHeight() <= 0) return new Result(null, "it has no pixels");
            return new Result(img, null);
        } catch (IOException | RuntimeException e) {
            // Decoders throw unchecked exceptions on some corrupt inputs too.
            return new Result(null, reason(e));
        }
    }

    /** Reads only the header: cheap check used when images are decoded lazily. */
    static String probe(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) return "it cannot be opened";
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) return "no image decoder recognises its contents";
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                if (reader.getWidth(0) <= 0 || reader.getHeight(0) <= 0) return "it has no pixels";
                return null;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return reason(e);
        }
    }

    private static String reason(Exception e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String msg = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        return e == t ? msg : e.getMessage() + ": " + msg;
    }
}
