package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {
    @TempDir Path root;
    final List<String> warnings = new ArrayList<>();

    /** cats/a.png red, cats/b.jpg blue, dogs/sub/c.png green, dogs/broken.png garbage, a text file. */
    private void classFolders() throws IOException {
        TestFiles.image(root.resolve("cats/a.png"), TestFiles.solid(6, 4, 0xFF0000), "png");
        TestFiles.image(root.resolve("cats/b.jpg"), TestFiles.solid(8, 8, 0x0000FF), "jpg");
        TestFiles.image(root.resolve("dogs/sub/c.png"), TestFiles.solid(5, 7, 0x00FF00), "png");
        TestFiles.bytes(root.resolve("dogs/broken.png"), "this is not a PNG".getBytes());
        TestFiles.bytes(root.resolve("README.txt"), "notes".getBytes());
        TestFiles.bytes(root.resolve(".hidden/x.png"), "ignored, hidden".getBytes());
    }

    private static float[] load(ImageDataset ds, int i) {
        float[] x = new float[ds.imageLength()];
        ds.load(i, x, 0);
        return x;
    }

    private static void assertColour(float[] img, float r, float g, float b, float tol) {
        int plane = img.length / 3;
        for (int p = 0; p < plane; p++) {
            assertEquals(r, img[p], tol);
            assertEquals(g, img[plane + p], tol);
            assertEquals(b, img[2 * plane + p], tol);
        }
    }

    @Test
    void aClassWhoseFilesAreAllSkippedKeepsItsLabelWithAWarning() throws IOException {
        TestFiles.image(root.resolve("ants/a.png"), TestFiles.solid(4, 4, 0xFF0000), "png");
        TestFiles.bytes(root.resolve("bees/empty.png"), new byte[0]);
        TestFiles.image(root.resolve("cows/c.png"), TestFiles.solid(4, 4, 0x00FF00), "png");
        ImageFolderDataset ds = ImageFolderDataset.open(root, 3, 4, warnings::add);
        assertEquals(List.of("ants", "bees", "cows"), ds.classNames());
        assertArrayEquals(new int[] {0, 2}, new int[] {ds.label(0), ds.label(1)});
        assertEquals(2, warnings.size(), warnings.toString());
        String w = warnings.get(1);
        assertTrue(w.startsWith("class bees has no usable image") && w.contains("move the sub-folder out"), w);
    }

    @Test
    void labelsFromSubFoldersAndCorruptFileSkippedWithWarning() throws IOException {
        classFolders();
        ImageFolderDataset ds = ImageFolderDataset.open(root, 3, 4, warnings::add);
        assertTrue(ds.cached());
        assertEquals(3, ds.size());
        assertEquals(List.of("cats", "dogs"), ds.classNames());
        assertEquals(2, ds.numClasses());
        assertArrayEquals(new int[] {0, 0, 1}, new int[] {ds.label(0), ds.label(1), ds.label(2)});
        assertEquals(root.resolve("cats/b.jpg"), ds.file(1));
        assertColour(load(ds, 0), 1f, -1f, -1f, 1e-6f);   // PNG: exact
        assertColour(load(ds, 1), -1f, -1f, 1f, 0.06f);   // JPEG: lossy
        assertColour(load(ds, 2), -1f, 1f, -1f, 1e-6f);
        assertEquals(1, ds.skipped());
        assertEquals(1, warnings.size());
        String w = warnings.getFirst();
        assertTrue(w.contains("skipped 2 of 5 files") && w.contains("1 not a readable image, 1 other file (not images, e.g. README.txt)")
                && w.contains("broken.png") && w.contains("no image decoder"), w);
        assertTrue(ds.describe().contains("2 classes (cats, dogs)"), ds.describe());
    }

    @Test
    void lazyDecodingGivesTheSameValuesAsTheCache() throws IOException {
        classFolders();
        TestFiles.image(root.resolve("dogs/ramp.png"), ramp(13, 9), "png");
        ImageFolderDataset eager = ImageFolderDataset.open(root, 3, 5, warnings::add);
        ImageFolderDataset lazy = ImageFolderDataset.open(root, 3, 5, 0, warnings::add);
        assertTrue(eager.cached());
        assertFalse(lazy.cached());
        assertEquals(eager.size(), lazy.size());
        for (int i = 0; i < eager.size(); i++) {
            assertArrayEquals(load(eager, i), load(lazy, i));
            assertEquals(eager.label(i), lazy.label(i));
        }
    }

    @Test
    void lazyModeReportsAFileThatBreaksAfterOpening() throws IOException {
        Path f = TestFiles.image(root.resolve("a.png"), TestFiles.solid(4, 4, 0x808080), "png");
        ImageFolderDataset lazy = ImageFolderDataset.open(root, 1, 4, 0, warnings::add);
        Files.write(f, new byte[] {1, 2, 3});
        DatasetException e = assertThrows(DatasetException.class, () -> load(lazy, 0));
        assertTrue(e.getMessage().contains("a.png") && e.getMessage().contains("could not be decoded"), e.getMessage());
    }

    @Test
    void imagesDirectlyInRootAreUnlabeled() throws IOException {
        TestFiles.image(root.resolve("x.png"), TestFiles.solid(4, 4, 0x102030), "png");
        TestFiles.image(root.resolve("more/y.png"), TestFiles.solid(4, 4, 0x102030), "png");
        ImageFolderDataset ds = ImageFolderDataset.open(root, 3, 4, warnings::add);
        assertEquals(2, ds.size());
        assertEquals(0, ds.numClasses());
        assertEquals(-1, ds.label(1));
        assertTrue(warnings.getFirst().contains("unlabeled"), warnings.toString());
    }

    @Test
    void grayPngIsReadWithoutColourSpaceBrightening() throws IOException {
        BufferedImage g = new BufferedImage(3, 3, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) g.getRaster().setSample(x, y, 0, 100);
        TestFiles.image(root.resolve("g.png"), g, "png");
        float[] gray = load(ImageFolderDataset.open(root, 1, 3, warnings::add), 0);
        for (float v : gray) assertEquals(100 / 127.5f - 1f, v, 1e-6f);
        float[] rgb = load(ImageFolderDataset.open(root, 3, 3, warnings::add), 0);
        for (float v : rgb) assertEquals(100 / 127.5f - 1f, v, 1e-6f);
    }

    @Test
    void colourToGrayUsesLuma() throws IOException {
        TestFiles.image(root.resolve("c.png"), TestFiles.solid(2, 2, 0xC86432), "png"); // 200, 100, 50
        float[] gray = load(ImageFolderDataset.open(root, 1, 2, warnings::add), 0);
        int expected = Math.round(0.299f * 200 + 0.587f * 100 + 0.114f * 50);
        for (float v : gray) assertEquals(expected / 127.5f - 1f, v, 1e-6f);
    }

    @Test
    void shorterSideIsScaledThenCentreCropped() throws IOException {
        // 8 wide, 4 high, column x has gray x*30: shorter side already 4, so columns 2..5 remain.
        TestFiles.image(root.resolve("wide.png"), ramp(8, 4), "png");
        float[] out = load(ImageFolderDataset.open(root, 1, 4, warnings::add), 0);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) assertEquals((x + 2) * 30 / 127.5f - 1f, out[y * 4 + x], 1e-6f);
        }
    }

    @Test
    void downscaleAveragesTheCoveredArea() throws IOException {
        // Columns 0, 90, 180 scaled 3 -> 2: each output covers 1.5 source pixels.
        BufferedImage img = ramp(3, 3);
        for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) img.getRaster().setSample(x, y, 0, 90 * x);
        TestFiles.image(root.resolve("r.png"), img, "png");
        float[] out = load(ImageFolderDataset.open(root, 1, 2, warnings::add), 0);
        float left = (0 * 1f + 90 * 0.5f) / 1.5f, right = (90 * 0.5f + 180 * 1f) / 1.5f;
        assertArrayEquals(new float[] {left, right, left, right},
                new float[] {(out[0] + 1) * 127.5f, (out[1] + 1) * 127.5f, (out[2] + 1) * 127.5f, (out[3] + 1) * 127.5f}, 1e-3f);
    }

    @Test
    void checkerboardDownscalesToFlatGray() throws IOException {
        // 9x9 to 3x3: each output averages a 3x3 block (4 or 5 white of 9). Bilinear would sample
        // the block centres exactly and alias to pure black and white.
        BufferedImage cb = new BufferedImage(9, 9, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 9; y++) for (int x = 0; x < 9; x++) cb.getRaster().setSample(x, y, 0, (x + y) % 2 * 255);
        TestFiles.image(root.resolve("cb.png"), cb, "png");
        for (float v : load(ImageFolderDataset.open(root, 1, 3, warnings::add), 0)) {
            assertEquals(0f, v, (255 * 5 / 9f - 127.5f + 0.5f) / 127.5f);
        }
    }

    @Test
    void upscaleIsBilinearWithAlignedCentres() throws IOException {
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 2; y++) {
            img.getRaster().setSample(0, y, 0, 0);
            img.getRaster().setSample(1, y, 0, 200);
        }
        TestFiles.image(root.resolve("u.png"), img, "png");
        float[] out = load(ImageFolderDataset.open(root, 1, 4, warnings::add), 0);
        float[] row = new float[4];
        for (int x = 0; x < 4; x++) row[x] = (out[x] + 1) * 127.5f;
        assertArrayEquals(new float[] {0, 50, 150, 200}, row, 1e-3f);
    }

    @Test
    void truncatedPngIsSkippedLikeGarbage() throws IOException {
        Path good = TestFiles.image(root.resolve("good.png"), ramp(20, 20), "png");
        Path cut = TestFiles.image(root.resolve("cut.png"), noise(64, 64), "png");
        TestFiles.truncate(cut, (int) Files.size(cut) / 2);
        ImageFolderDataset ds = ImageFolderDataset.open(root, 3, 8, warnings::add);
        assertEquals(1, ds.size());
        assertEquals(good, ds.file(0));
        assertTrue(warnings.getFirst().contains("cut.png"), warnings.toString());
    }

    @Test
    void lazyDecodingFindsTruncatedAndHugeImagesWhenOpening() throws IOException {
        Path good = TestFiles.image(root.resolve("good.png"), ramp(20, 20), "png");
        byte[] jpg = HostileFiles.encode(HostileFiles.noise(64, 64, 1), "jpg");
        TestFiles.bytes(root.resolve("half.jpg"), java.util.Arrays.copyOf(jpg, jpg.length / 2));
        TestFiles.bytes(root.resolve("huge.gif"), HostileFiles.gifFrameDeclaring(46000, 46000));
        TestFiles.bytes(root.resolve("photo.webp"), HostileFiles.webpSolid(6, 6, 0xff0000));
        ImageFolderDataset ds = ImageFolderDataset.open(root, 3, 4, 0, warnings::add);
        assertTrue(!ds.cached() && ds.size() == 2 && ds.skipped() == 2, ds.describe());
        assertEquals(good, ds.file(0));
        assertColour(load(ds, 1), 1f, -1f, -1f, 1e-6f); // the WebP, decoded on load
        String w = warnings.getFirst();
        assertTrue(w.contains("skipped 2 of 4 files") && w.contains("1 truncated, 1 too large")
                && w.contains("huge.gif (too large: 46000x46000 pixels"), w);
    }

    @Test
    void warningNamesAtMostFiveAndCountsTheRest() throws IOException {
        TestFiles.image(root.resolve("ok.png"), ramp(4, 4), "png");
        for (int i = 0; i < 7; i++) TestFiles.bytes(root.resolve("bad" + i + ".jpg"), new byte[] {9, 9, 9});
        ImageFolderDataset.open(root, 3, 4, warnings::add);
        String w = warnings.getFirst();
        assertTrue(w.contains("skipped 7 of 8") && w.contains("bad4.jpg") && !w.contains("bad5.jpg")
                && w.contains("and 2 more"), w);
    }

    @Test
    void missingFolderIsNamed() {
        DatasetException e = assertThrows(DatasetException.class,
                () -> ImageFolderDataset.open(root.resolve("photos"), 3, 32, warnings::add));
        assertTrue(e.getMessage().contains("photos") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void emptyFolderSaysSo() {
        DatasetException e = assertThrows(DatasetException.class, () -> ImageFolderDataset.open(root, 3, 32, warnings::add));
        assertTrue(e.getMessage().contains("no image files") && e.getMessage().contains("the folder is empty"), e.getMessage());
    }

    @Test
    void folderOfOnlyHiddenImagesSaysTheyAreLeftOutRatherThanEmpty() throws IOException {
        TestFiles.image(root.resolve("._photo.png"), TestFiles.solid(2, 2, 0), "png");
        DatasetException e = assertThrows(DatasetException.class, () -> ImageFolderDataset.open(root, 3, 32, warnings::add));
        assertTrue(e.getMessage().contains("found only hidden entries") && e.getMessage().contains("._photo.png")
                && !e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void folderWithoutImagesListsWhatItHolds() throws IOException {
        TestFiles.bytes(root.resolve("a.csv"), new byte[] {1});
        TestFiles.bytes(root.resolve("b/c.npy"), new byte[] {1});
        DatasetException e = assertThrows(DatasetException.class, () -> ImageFolderDataset.open(root, 3, 32, warnings::add));
        assertTrue(e.getMessage().contains("found 2 other files") && e.getMessage().contains("a.csv"), e.getMessage());
    }

    @Test
    void noReadableImageAtAllIsAnError() throws IOException {
        TestFiles.bytes(root.resolve("a.png"), new byte[] {1, 2});
        TestFiles.bytes(root.resolve("b.jpeg"), new byte[] {3, 4});
        DatasetException e = assertThrows(DatasetException.class, () -> ImageFolderDataset.open(root, 3, 32, warnings::add));
        assertTrue(e.getMessage().contains("none of the 2 image files") && e.getMessage().contains("could be used (2 not a readable image)"), e.getMessage());
    }

    @Test
    void sizeAndChannelsAreChecked() throws IOException {
        TestFiles.image(root.resolve("a.png"), ramp(4, 4), "png");
        assertTrue(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(root, 3, 0, warnings::add))
                .getMessage().contains("needs a target image size"));
        assertTrue(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(root, 2, 8, warnings::add))
                .getMessage().contains("1 (gray) or 3 (RGB)"));
    }

    /** Gray image whose column x has value 30 x (clamped to 255). */
    static BufferedImage ramp(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.getRaster().setSample(x, y, 0, Math.min(255, 30 * x));
        return img;
    }

    static BufferedImage noise(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(3);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt());
        return img;
    }
}
