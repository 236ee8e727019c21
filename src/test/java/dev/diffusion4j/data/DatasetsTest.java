package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir Path dir;
    final List<String> warnings = new ArrayList<>();

    private ImageDataset open(Object spec, int channels, int size, String split) {
        return Datasets.open(spec.toString(), channels, size, split, warnings::add);
    }

    private static float[] load(ImageDataset ds, int i) {
        float[] x = new float[ds.imageLength()];
        ds.load(i, x, 0);
        return x;
    }

    @Test
    void shapesSpecsWithCountAndSeed() {
        ImageDataset ds = open("shapes:100:3", 0, 0, "train");
        assertEquals(100, ds.size());
        assertEquals(3, ds.channels());
        assertEquals(32, ds.height());
        assertArrayEquals(load(new ShapesDataset(100, 32, 3, 3), 7), load(ds, 7));
        assertEquals(ShapesDataset.DEFAULT_SIZE, open("shapes", 1, 16, "train").size());
        assertEquals(16, open("shapes", 1, 16, "train").width());
        DatasetException e = assertThrows(DatasetException.class, () -> open("shapes:many", 3, 32, "train"));
        assertTrue(e.getMessage().contains("shapes:COUNT:SEED"), e.getMessage());
    }

    @Test
    void idxDirectoryIsConvertedToRequestedChannelsAndSize() throws IOException {
        byte[] px = TestFiles.pixels(3, 16);
        TestFiles.idx(dir.resolve("train-images-idx3-ubyte.gz"), IdxFile.IMAGES_MAGIC, new int[] {3, 4, 4}, px, true);
        ImageDataset same = open(dir, 0, 0, "train");
        assertInstanceOf(IdxDataset.class, same);
        ImageDataset rgb = open(dir, 3, 8, "train");
        assertEquals(3, rgb.channels());
        assertEquals(8, rgb.height());
        float[] x = load(rgb, 2);
        for (int p = 0; p < 64; p++) {
            assertEquals(x[p], x[64 + p]);
            assertEquals(x[p], x[128 + p]);
        }
        // 4 -> 8 bilinear: output (0,1) sits a quarter of the way from pixel 0 to pixel 1 of row 0
        float p0 = (px[32] & 0xff) / 127.5f - 1f, p1 = (px[33] & 0xff) / 127.5f - 1f;
        assertEquals(0.75f * p0 + 0.25f * p1, x[1], 1e-5f);
        assertTrue(rgb.describe().contains("converted to 3x8x8"), rgb.describe());
    }

    @Test
    void cifarDirectoryAndSingleBatchFile() throws IOException {
        for (int i = 1; i <= 5; i++) Cifar10DatasetTest.batch(dir.resolve("data_batch_" + i + ".bin"), i, 1);
        Cifar10DatasetTest.batch(dir.resolve("test_batch.bin"), 0, 2);
        assertEquals(5, open(dir, 3, 32, "train").size());
        assertEquals(2, open(dir, 0, 0, "test").size());
        assertEquals(1, open(dir.resolve("data_batch_3.bin"), 3, 32, "train").size());
        ImageDataset gray = open(dir, 1, 16, "test");
        assertEquals(1, gray.channels());
        assertEquals(16, gray.width());
    }

    @Test
    void imageFolderUsesSplitSubFolderWhenPresent() throws IOException {
        TestFiles.image(dir.resolve("train/a/x.png"), TestFiles.solid(5, 5, 0x00FF00), "png");
        TestFiles.image(dir.resolve("train/b/y.png"), TestFiles.solid(5, 5, 0x0000FF), "png");
        TestFiles.image(dir.resolve("test/a/z.png"), TestFiles.solid(5, 5, 0xFF0000), "png");
        ImageDataset train = open(dir, 3, 4, "train");
        assertEquals(2, train.size());
        assertEquals(2, train.numClasses());
        ImageDataset test = open(dir, 0, 4, "test");
        assertEquals(1, test.size());
        assertEquals(3, test.channels());
        assertEquals(1f, load(test, 0)[0]);
    }

    @Test
    void hasSplitTellsARealSplitFromAFallBackToAllImages() throws IOException {
        assertFalse(Datasets.hasSplit("shapes:64", "test"));
        Path plain = dir.resolve("plain");
        TestFiles.image(plain.resolve("a/x.png"), TestFiles.solid(5, 5, 0x00FF00), "png");
        assertFalse(Datasets.hasSplit(plain.toString(), "test"), "a plain image folder has only its training images");
        TestFiles.image(dir.resolve("split/test/a/z.png"), TestFiles.solid(5, 5, 0xFF0000), "png");
        assertTrue(Datasets.hasSplit(dir.resolve("split").toString(), "test"));
        Path cifar = dir.resolve("cifar");
        Files.createDirectories(cifar);
        Cifar10DatasetTest.batch(cifar.resolve("data_batch_1.bin"), 1, 1);
        assertTrue(Datasets.hasSplit(cifar.toString(), "test"), "CIFAR folders name a missing split themselves");
        assertFalse(Datasets.hasSplit(cifar.resolve("data_batch_1.bin").toString(), "test"), "a single batch file is one set");
    }

    @Test
    void userMistakesGetOneClearMessage() throws IOException {
        DatasetException missing = assertThrows(DatasetException.class, () -> open(dir.resolve("mnist"), 1, 28, "train"));
        assertTrue(missing.getMessage().contains("does not exist") && missing.getMessage().contains("'shapes'"), missing.getMessage());
        Path archive = TestFiles.bytes(dir.resolve("cifar-10-binary.tar.gz"), new byte[] {0x1f, (byte) 0x8b, 8});
        DatasetException tar = assertThrows(DatasetException.class, () -> open(archive, 3, 32, "train"));
        assertTrue(tar.getMessage().contains("extract it first (e.g. tar xf " + archive + ")"), tar.getMessage());
        Path zip = TestFiles.bytes(dir.resolve("my photos.zip"), new byte[] {'P', 'K', 3, 4});
        DatasetException unzip = assertThrows(DatasetException.class, () -> open(zip, 3, 32, "train"));
        assertTrue(unzip.getMessage().contains("(e.g. unzip '" + zip + "')"), unzip.getMessage());   // tar cannot read a zip
        Path png = TestFiles.image(dir.resolve("one.png"), TestFiles.solid(2, 2, 0), "png");
        DatasetException single = assertThrows(DatasetException.class, () -> open(png, 3, 32, "train"));
        assertTrue(single.getMessage().contains("single image"), single.getMessage());
        DatasetException noSize = assertThrows(DatasetException.class, () -> open(dir, 3, 0, "train"));
        assertTrue(noSize.getMessage().contains("needs a target image size"), noSize.getMessage());
        assertTrue(assertThrows(DatasetException.class, () -> open(" ", 3, 32, "train")).getMessage().contains("no dataset given"));
    }

    @Test
    void conversionKeepsSourceWhenNothingChangesAndLumaForGray() {
        ShapesDataset src = new ShapesDataset(5, 16, 3, 1);
        assertSame(src, ConvertedDataset.of(src, 3, 16));
        assertSame(src, ConvertedDataset.of(src, 0, 0));
        ImageDataset gray = ConvertedDataset.of(src, 1, 0);
        float[] c = load(src, 4), g = load(gray, 4);
        for (int p = 0; p < 256; p++) assertEquals(0.299f * c[p] + 0.587f * c[256 + p] + 0.114f * c[512 + p], g[p], 1e-5f);
        assertEquals(src.label(4), gray.label(4));
        assertThrows(DatasetException.class, () -> ConvertedDataset.of(src, 4, 16));
    }

    @Test
    void realFashionMnistThroughTheFactory() {
        Path fm = Path.of("/usr/share/datasets/fashion-mnist");
        assumeTrue(Files.isDirectory(fm), "Fashion-MNIST not installed at " + fm + ", skipping");
        ImageDataset ds = open(fm, 1, 32, "test");
        assertEquals(10_000, ds.size());
        assertEquals(32, ds.height());
        assertEquals(10, ds.numClasses());
        float[] x = load(ds, 0);
        float min = 1, max = -1;
        for (float v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min == -1f && max > 0.5f, "range " + min + ".." + max); // a dark background and a bright garment
    }
}
