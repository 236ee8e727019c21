package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile inputs opened in a child JVM with a 256 MiB heap: headers declaring gigabytes, gzip
 * bombs, overflowing IDX dimensions, truncated images, a CIFAR file of the wrong length. Each must
 * end in one clear line (skipped with a warning, or refused naming the file and the cause), the
 * JVM must exit normally (an OutOfMemoryError would end it with status 3), and no stack trace may
 * be printed.
 */
class HostileInputsTest {
    @TempDir
    Path dir;

    @Test
    void hostileInputsEndInOneClearLineWithinASmallHeap() throws Exception {
        Path images = imageFolder(dir.resolve("images"));
        Path heap = Files.createDirectories(dir.resolve("heap"));
        Files.write(heap.resolve("good.png"), HostileFiles.encode(HostileFiles.noise(16, 16, 1), "png"));
        // Within the pixel limit, but 16-bit RGBA: 8 bytes a pixel, more than the child's heap.
        Files.write(heap.resolve("rgba16.png"), HostileFiles.pngDeclaring(8000, 8000, 6, 16));
        Path lyingGzip = idxImages(dir.resolve("lying/train-images-idx3-ubyte.gz"), new int[] {1, 40000, 40000}, 1000, true);
        Path lyingSmall = idxImages(dir.resolve("lying2/train-images-idx3-ubyte.gz"), new int[] {1, 10000, 10000}, 1000, true);
        Path bomb = idxImages(dir.resolve("bomb/train-images-idx3-ubyte.gz"), new int[] {1, 100, 100}, 300 << 20, true);
        Path overflow = idxImages(dir.resolve("overflow/train-images-idx3-ubyte"), new int[] {2097152, 2097152, 4194304}, 100, false);
        Path wide = idxImages(dir.resolve("wide/train-images-idx3-ubyte"), new int[] {1, 65536, 65536}, 100, false);
        Path cifar = Files.write(dir.resolve("data_batch_1.bin"), new byte[2 * 3073 + 5]);
        Path st = dir.resolve("huge-header.safetensors");
        Files.write(st, ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(99_000_000L).array());

        ChildJvm.Outcome o = ChildJvm.run(OpenDatasetsMain.class, List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
                Map.of(), "folder=" + images, "heap=" + heap, "idx-lying-gzip=" + lyingGzip, "idx-lying-small=" + lyingSmall,
                "idx-gzip-bomb=" + bomb, "idx-overflow=" + overflow, "idx-wide=" + wide, "cifar-length=" + cifar,
                "safetensors-header=safetensors:" + st);
        String out = o.output();
        assertEquals(0, o.exitCode(), out);
        assertFalse(out.contains("Exception in thread") || out.contains("\tat ") || out.contains("OutOfMemory"), out);

        String folder = line(out, "folder: WARNING");
        for (String part : new String[] {"skipped 9 of 10 files", "2 truncated", "5 too large", "1 corrupt",
                "1 other file (not images, e.g. notes.txt)", "bomb.png (too large: 40000x40000 pixels"}) {
            assertTrue(folder.contains(part), part + " missing in: " + folder);
        }
        assertTrue(line(out, "folder: OK").contains("1 images"), out);
        assertTrue(line(out, "heap: WARNING").contains("rgba16.png (too large: 8000x8000 pixels need 488.3 MiB decoded but only"), out);
        assertTrue(line(out, "idx-lying-gzip: REFUSED").contains("(1x40000x40000) needs 1525.9 MiB of memory"), out);
        assertTrue(line(out, "idx-lying-small: REFUSED").contains("compressed data ends early"), out);
        assertTrue(line(out, "idx-gzip-bomb: OK").contains("1 images, 1x100x100"), out);
        assertTrue(line(out, "idx-overflow: REFUSED").contains("declares 2097152x2097152x4194304 bytes of data (more than 2^63)"), out);
        assertTrue(line(out, "idx-wide: REFUSED").contains("more than one Java array holds"), out);
        assertTrue(line(out, "cifar-length: REFUSED").contains("is not a whole number of 3073-byte records"), out);
        assertTrue(line(out, "safetensors-header: REFUSED").contains(st.getFileName().toString()), out);
    }

    @Test
    void nonAsciiFileNamesAreReadUnderTheCLocale() throws Exception {
        assumeTrue("UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding")),
                "this JVM itself cannot write non-ASCII file names (its locale is not UTF-8)");
        Path d = dir.resolve("names");
        byte[] png = HostileFiles.encode(HostileFiles.noise(8, 8, 4), "png");
        for (String name : new String[] {"café.png", "日本.png", "plain.png"}) Files.write(Files.createDirectories(d).resolve(name), png);
        ChildJvm.Outcome o = ChildJvm.run(OpenDatasetsMain.class, List.of("-Xmx256m"),
                Map.of("LANG", "C", "LC_ALL", "C"), "names=" + d, "typed=" + d.resolve("café.png"));
        String out = o.output();
        assertEquals(0, o.exitCode(), out);
        // Under LANG=C the JVM decodes file names as ASCII; the folder must still give all three images.
        assertTrue(line(out, "names: OK").contains("3 images"), out);
        assertFalse(out.contains("WARNING"), out);
        // A non-ASCII name typed as an argument is lost before Java sees it: say why and how to fix it.
        String typed = line(out, "typed: REFUSED");
        assertTrue(typed.contains("is not a usable file name") && typed.contains("LC_ALL=C.UTF-8"), typed);
    }

    private static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting '" + prefix + "' in:\n" + out));
    }

    /** One good image, six bombs, two truncated, one corrupt JPEG, one text file. */
    private static Path imageFolder(Path d) throws IOException {
        Files.createDirectories(d);
        Files.write(d.resolve("good.png"), HostileFiles.encode(HostileFiles.noise(16, 16, 1), "png"));
        Files.write(d.resolve("bomb.png"), HostileFiles.pngDeclaring(40000, 40000));
        Files.write(d.resolve("bomb.bmp"), HostileFiles.bmpDeclaring(40000, 40000));
        Files.write(d.resolve("bomb.gif"), HostileFiles.gifFrameDeclaring(46000, 46000));
        Files.write(d.resolve("bomb.jpg"), HostileFiles.jpegDeclaring(40000, 40000));
        Files.write(d.resolve("bomb.tif"), HostileFiles.tiffDeclaring(40000, 40000, 64));
        Files.write(d.resolve("bomb.webp"), HostileFiles.webpSolid(16384, 16384, 0));
        byte[] jpg = HostileFiles.encode(HostileFiles.noise(64, 64, 2), "jpg");
        Files.write(d.resolve("half.jpg"), Arrays.copyOf(jpg, jpg.length / 2));
        byte[] png = HostileFiles.encode(HostileFiles.noise(64, 64, 3), "png");
        Files.write(d.resolve("cut.png"), Arrays.copyOf(png, png.length - 12));
        Files.writeString(d.resolve("notes.txt"), "not an image");
        return d;
    }

    /** An IDX images file with the given header and {@code dataBytes} zero bytes, streamed (never held whole). */
    private static Path idxImages(Path file, int[] dims, int dataBytes, boolean gzip) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream out = gzip ? new GZIPOutputStream(raw, 1 << 16) : raw) {
            ByteBuffer h = ByteBuffer.allocate(4 + 4 * dims.length).putInt(IdxFile.IMAGES_MAGIC);
            for (int v : dims) h.putInt(v);
            out.write(h.array());
            byte[] zeros = new byte[1 << 16];
            for (int left = dataBytes; left > 0; left -= zeros.length) out.write(zeros, 0, Math.min(left, zeros.length));
        }
        return file;
    }
}
