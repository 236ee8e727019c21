package dev.diffusion4j.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;

/** Writers for the tiny dataset files the tests build themselves. */
final class TestFiles {
    private TestFiles() {}

    /** An IDX file: magic, big-endian dims, bytes; gzip-compressed if asked. */
    static Path idx(Path file, int magic, int[] dims, byte[] data, boolean gzip) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(bytes)) {
            d.writeInt(magic);
            for (int v : dims) d.writeInt(v);
            d.write(data);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            out.write(bytes.toByteArray());
        }
        return file;
    }

    /** Image {@code i} of {@code n}: pixel p has value (i * 37 + p * 11) mod 256. */
    static byte[] pixels(int n, int len) {
        byte[] b = new byte[n * len];
        for (int i = 0; i < n; i++) for (int p = 0; p < len; p++) b[i * len + p] = (byte) ((i * 37 + p * 11) % 256);
        return b;
    }

    static BufferedImage solid(int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, rgb);
        return img;
    }

    static Path image(Path file, BufferedImage img, String format) throws IOException {
        Files.createDirectories(file.getParent());
        if (!ImageIO.write(img, format, file.toFile())) throw new IOException("no writer for " + format);
        return file;
    }

    static Path bytes(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, content);
    }

    /** The first {@code keep} bytes of {@code file}, written back in place. */
    static void truncate(Path file, int keep) throws IOException {
        byte[] all = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(all, keep));
    }
}
