package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.data.ImageDecoder.Problem;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {
    @TempDir
    Path dir;

    @AfterEach
    void resetLimit() {
        ImageLimits.reset();
        System.clearProperty(ImageLimits.PROPERTY);
    }

    private ImageDecoder.Result decode(String name, byte[] content) throws IOException {
        return ImageDecoder.decode(Files.write(dir.resolve(name), content));
    }

    private void assertRefused(Problem expected, ImageDecoder.Result r, String... detail) {
        assertNull(r.image(), "accepted");
        assertEquals(expected, r.failure().problem(), r.failure().describe());
        for (String d : detail) assertTrue(r.failure().detail().contains(d), r.failure().describe());
    }

    @Test
    void aZeroByteFileIsCalledEmpty() throws IOException {
        assertRefused(Problem.EMPTY, decode("cut.png", new byte[0]), "0 bytes");
        assertEquals("empty", Problem.EMPTY.label);
    }

    @Test
    void everyFormatDecodesWhole() throws IOException {
        BufferedImage img = HostileFiles.noise(24, 16, 3);
        for (String f : new String[] {"png", "jpg", "bmp", "gif", "tiff"}) {
            ImageDecoder.Result r = decode("a." + f, HostileFiles.encode(img, f));
            assertNull(r.failure(), () -> f + ": " + r.failure().describe());
            assertEquals(24, r.image().getWidth());
            assertEquals(16, r.image().getHeight());
        }
    }

    @Test
    void webpIsDecoded() throws IOException {
        ImageDecoder.Result r = decode("w.webp", HostileFiles.webpSolid(5, 3, 0xc86432));
        assertNull(r.failure(), () -> r.failure().describe());
        assertEquals(5, r.image().getWidth());
        assertEquals(3, r.image().getHeight());
        assertEquals(0xc86432, r.image().getRGB(4, 2) & 0xffffff);
    }

    @Test
    void jpegCutInHalfIsRefusedAsTruncated() throws IOException {
        byte[] jpg = HostileFiles.encode(HostileFiles.noise(64, 48, 1), "jpg");
        assertRefused(Problem.TRUNCATED, decode("half.jpg", Arrays.copyOf(jpg, jpg.length / 2)));
    }

    @Test
    void pngMissingItsTailIsRefusedEvenWhenAllPixelsArrived() throws IOException {
        byte[] png = HostileFiles.encode(HostileFiles.noise(64, 48, 2), "png");
        // Cut in the last IDAT, and cut just before IEND (the decoder alone accepts the latter).
        assertRefused(Problem.TRUNCATED, decode("idat.png", Arrays.copyOf(png, png.length - 100)), "IDAT");
        assertRefused(Problem.TRUNCATED, decode("iend.png", Arrays.copyOf(png, png.length - 12)), "before its IEND");
    }

    @Test
    void webpShorterThanItsRiffHeaderIsRefused() throws IOException {
        byte[] webp = HostileFiles.webpSolid(5, 3, 0x102030);
        assertRefused(Problem.TRUNCATED, decode("cut.webp", Arrays.copyOf(webp, webp.length - 2)), "RIFF");
    }

    @Test
    void everyCutOfEveryFormatIsRefused() throws IOException {
        BufferedImage img = HostileFiles.noise(32, 24, 4);
        for (String f : new String[] {"png", "jpg", "bmp", "gif", "tiff"}) {
            byte[] full = HostileFiles.encode(img, f);
            // GIF's last byte is its trailer: all pixels are there without it.
            int last = f.equals("gif") ? full.length - 2 : full.length - 1;
            for (int keep = 1; keep <= last; keep += Math.max(1, full.length / 97)) {
                ImageDecoder.Result r = decode("cut." + f, Arrays.copyOf(full, keep));
                int k = keep;
                assertNull(r.image(), () -> f + " cut to " + k + " of " + full.length + " bytes was accepted");
            }
        }
    }

    @Test
    void headersDeclaringHugeImagesAreRefusedBeforeDecoding() throws IOException {
        assertRefused(Problem.TOO_LARGE, decode("bomb.png", HostileFiles.pngDeclaring(40000, 40000)), "40000x40000");
        // The BMP reader itself refuses a header that declares more pixel data than the file holds.
        assertNotNull(decode("bomb.bmp", HostileFiles.bmpDeclaring(40000, 40000)).failure());
        assertRefused(Problem.TOO_LARGE, decode("bomb.gif", HostileFiles.gifFrameDeclaring(46000, 46000)), "46000x46000");
        assertRefused(Problem.TOO_LARGE, decode("bomb.jpg", HostileFiles.jpegDeclaring(40000, 40000)), "40000x40000");
        assertRefused(Problem.TOO_LARGE, decode("bomb.tif", HostileFiles.tiffDeclaring(40000, 40000, 64)), "40000x40000");
        assertRefused(Problem.TOO_LARGE, decode("bomb.webp", HostileFiles.webpSolid(16384, 16384, 0)), "16384x16384");
    }

    @Test
    void theLimitIsASettingAndASystemProperty() throws IOException {
        byte[] png = HostileFiles.encode(HostileFiles.noise(20, 10, 5), "png");
        assertNull(decode("a.png", png).failure());
        System.setProperty(ImageLimits.PROPERTY, "199");
        assertRefused(Problem.TOO_LARGE, decode("a.png", png), "20x10", "limit of 199");
        assertTrue(decode("a.png", png).failure().fix().contains("-D" + ImageLimits.PROPERTY), "fix names the property");
        ImageLimits.setMaxPixels(200, "--max-image-pixels");
        assertNull(decode("a.png", png).failure());
        ImageLimits.setMaxPixels(100, "--max-image-pixels");
        assertTrue(decode("a.png", png).failure().fix().contains("--max-image-pixels"));
        assertThrows(IllegalArgumentException.class, () -> ImageLimits.setMaxPixels(0, "x"));
        ImageLimits.reset();
        System.setProperty(ImageLimits.PROPERTY, "lots");
        DatasetException e = assertThrows(DatasetException.class, () -> ImageDecoder.decode(dir.resolve("a.png")));
        assertTrue(e.getMessage().contains(ImageLimits.PROPERTY + "=lots"), e.getMessage());
    }

    @Test
    void aTiffWhoseStripLiesBeyondTheFileIsRefused() throws IOException {
        byte[] tif = HostileFiles.tiffDeclaring(16, 16, 256);
        assertNull(decode("ok.tif", tif).failure());
        assertNotNull(decode("cut.tif", Arrays.copyOf(tif, tif.length - 100)).failure());
    }

    @Test
    void aMissingFileIsUnreadableNotCorrupt() {
        assertRefused(Problem.UNREADABLE, ImageDecoder.decode(dir.resolve("gone.png")), "no longer exists");
    }

    @Test
    void nonAsciiNamesAreRead() throws IOException {
        byte[] png = HostileFiles.encode(HostileFiles.noise(4, 4, 6), "png");
        assertNull(decode("café.png", png).failure());
        assertNull(decode("日本.png", png).failure());
    }
}
