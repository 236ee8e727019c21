package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxDatasetTest {
    static final int IMG = IdxFile.IMAGES_MAGIC, LAB = IdxFile.LABELS_MAGIC;
    @TempDir Path dir;

    /** Writes n images of h x w (plain or gzip) and labels 0, 2, 4, ... mod 7 beside them. */
    private byte[] mnistLike(String prefix, int n, int h, int w, boolean gzImages, boolean gzLabels) throws IOException {
        byte[] px = TestFiles.pixels(n, h * w);
        TestFiles.idx(dir.resolve(prefix + "-images-idx3-ubyte" + (gzImages ? ".gz" : "")), IMG, new int[] {n, h, w}, px, gzImages);
        byte[] lab = new byte[n];
        for (int i = 0; i < n; i++) lab[i] = (byte) (2 * i % 7);
        TestFiles.idx(dir.resolve(prefix + "-labels-idx1-ubyte" + (gzLabels ? ".gz" : "")), LAB, new int[] {n}, lab, gzLabels);
        return px;
    }

    private static void assertPixels(ImageDataset ds, byte[] px) {
        int len = ds.imageLength();
        float[] buf = new float[len + 3];
        for (int i = 0; i < ds.size(); i++) {
            ds.load(i, buf, 3);
            for (int p = 0; p < len; p++) assertEquals((px[i * len + p] & 0xff) / 127.5f - 1f, buf[3 + p], 1e-6f);
        }
    }

    @Test
    void readsPlainImagesAndGzipLabelsFromDirectory() throws IOException {
        byte[] px = mnistLike("train", 5, 4, 3, false, true);
        IdxDataset ds = IdxDataset.open(dir, "train");
        assertEquals(5, ds.size());
        assertEquals(1, ds.channels());
        assertEquals(4, ds.height());
        assertEquals(3, ds.width());
        assertPixels(ds, px);
        assertArrayEquals(new int[] {0, 2, 4, 6, 1}, java.util.stream.IntStream.range(0, 5).map(ds::label).toArray());
        assertEquals(7, ds.numClasses());
    }

    @Test
    void readsGzipImagesAndTestSplitNamedT10k() throws IOException {
        mnistLike("train", 4, 2, 2, true, true);
        byte[] px = mnistLike("t10k", 3, 5, 5, true, false);
        IdxDataset ds = IdxDataset.open(dir, "test");
        assertEquals(3, ds.size());
        assertEquals(5, ds.height());
        assertPixels(ds, px);
        assertEquals(4, ds.label(2));
    }

    @Test
    void detectsGzipByContentNotByName() throws IOException {
        byte[] px = TestFiles.pixels(2, 9);
        Path gzNoSuffix = TestFiles.idx(dir.resolve("a.idx3"), IMG, new int[] {2, 3, 3}, px, true);
        Path plainWithGz = TestFiles.idx(dir.resolve("b.idx3.gz"), IMG, new int[] {2, 3, 3}, px, false);
        assertPixels(IdxDataset.fromFiles(gzNoSuffix, null), px);
        assertPixels(IdxDataset.fromFiles(plainWithGz, null), px);
        assertEquals(-1, IdxDataset.fromFiles(plainWithGz, null).label(0));
    }

    @Test
    void explicitImagesFileFindsItsLabelsBeside() throws IOException {
        mnistLike("train", 3, 2, 2, true, true);
        IdxDataset ds = IdxDataset.open(dir.resolve("train-images-idx3-ubyte.gz"), "train");
        assertEquals(5, ds.numClasses()); // labels 0, 2, 4
        assertEquals(2, ds.label(1));
    }

    @Test
    void missingDirectoryNamesThePath() {
        DatasetException e = assertThrows(DatasetException.class, () -> IdxDataset.open(dir.resolve("nope"), "train"));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void wrongSplitListsWhatIsThere() throws IOException {
        mnistLike("train", 2, 2, 2, false, false);
        DatasetException e = assertThrows(DatasetException.class, () -> IdxDataset.open(dir, "test"));
        assertTrue(e.getMessage().contains("split 'test'") && e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
        DatasetException bad = assertThrows(DatasetException.class, () -> IdxDataset.open(dir, "validation"));
        assertTrue(bad.getMessage().contains("use 'train' or 'test'"), bad.getMessage());
    }

    @Test
    void wrongMagicNumberIsReported() throws IOException {
        Path f = TestFiles.bytes(dir.resolve("x-images-idx3-ubyte"), "PNG? no, just text here".getBytes());
        DatasetException e = assertThrows(DatasetException.class, () -> IdxDataset.fromFiles(f, null));
        assertTrue(e.getMessage().contains("not an IDX file") && e.getMessage().contains("0x00000803"), e.getMessage());
    }

    @Test
    void labelsFileGivenAsImagesSaysSo() throws IOException {
        Path f = TestFiles.idx(dir.resolve("l"), LAB, new int[] {3}, new byte[3], true);
        DatasetException e = assertThrows(DatasetException.class, () -> IdxDataset.fromFiles(f, null));
        assertTrue(e.getMessage().contains("is an IDX labels file"), e.getMessage());
    }

    @Test
    void truncatedPlainFileSaysHowMuchIsMissing() throws IOException {
        Path f = TestFiles.idx(dir.resolve("t"), IMG, new int[] {4, 5, 5}, TestFiles.pixels(4, 25), false);
        TestFiles.truncate(f, 16 + 60);
        DatasetException e = assertThrows(DatasetException.class, () -> IdxDataset.fromFiles(f, null));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("4x5x5 (100 bytes) but only 60"), e.getMessage());
        assertTrue(e.fix().contains("download it again"), e.fix());
    }

    @Test
    void truncatedGzipFileIsReportedAsTruncated() throws IOException {
        // Random-ish pixels so the gzip stream is long enough to cut in the middle.
        byte[] px = new byte[50 * 400];
        new java.util.Random(1).nextBytes(px);
        Path f = TestFiles.idx(dir.resolve("t.gz"), IMG, new int[] {50, 20, 20}, px, true);
        TestFiles.truncate(f, (int) (Files.size(f) / 2));
        DatasetException e = assertThrows(DatasetException.class, () -> IdxDataset.fromFiles(f, null));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("ends early"), e.getMessage());
    }

    @Test
    void headerCountLargerThanGzipContentIsTruncated() throws IOException {
        Path f = TestFiles.idx(dir.resolve("short.gz"), IMG, new int[] {10, 2, 2}, new byte[12], true);
        DatasetException e = assertThrows(DatasetException.class, () -> IdxDataset.fromFiles(f, null));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void dimensionsWhoseProductOverflowsAreRefused() throws IOException {
        // 2^21 * 2^21 * 2^22 = 2^64 wraps to 0 in long arithmetic: it was accepted as an empty file.
        Path f = TestFiles.idx(dir.resolve("o"), IMG, new int[] {2097152, 2097152, 4194304}, new byte[8], false);
        DatasetException e = assertThrows(DatasetException.class, () -> IdxDataset.fromFiles(f, null));
        assertTrue(e.getMessage().contains("2097152x2097152x4194304") && e.getMessage().contains("more than 2^63"), e.getMessage());
        Path g = TestFiles.idx(dir.resolve("g.gz"), IMG, new int[] {3, 65536, 65536}, new byte[8], true);
        e = assertThrows(DatasetException.class, () -> IdxDataset.fromFiles(g, null));
        assertTrue(e.getMessage().contains("(12884901888)") && e.getMessage().contains("more than one Java array holds"), e.getMessage());
    }

    @Test
    void gzipDataBeyondWhatTheHeaderPromisesIsNotRead() throws IOException {
        byte[] more = TestFiles.pixels(5, 4);
        Path f = TestFiles.idx(dir.resolve("more.gz"), IMG, new int[] {2, 2, 2}, more, true);
        IdxDataset ds = IdxDataset.fromFiles(f, null);
        assertEquals(2, ds.size());
        assertPixels(ds, java.util.Arrays.copyOf(more, 8));
    }

    @Test
    void labelCountMustMatchImageCount() throws IOException {
        Path img = TestFiles.idx(dir.resolve("i"), IMG, new int[] {3, 2, 2}, new byte[12], false);
        Path lab = TestFiles.idx(dir.resolve("l"), LAB, new int[] {4}, new byte[4], false);
        DatasetException e = assertThrows(DatasetException.class, () -> IdxDataset.fromFiles(img, lab));
        assertTrue(e.getMessage().contains("4 labels") && e.getMessage().contains("3 images"), e.getMessage());
    }

    @Test
    void emptyFileIsTooShort() throws IOException {
        Path f = TestFiles.bytes(dir.resolve("empty"), new byte[0]);
        DatasetException e = assertThrows(DatasetException.class, () -> IdxDataset.fromFiles(f, null));
        assertTrue(e.getMessage().contains("shorter than an IDX header"), e.getMessage());
    }

    @Test
    void realFashionMnistTestSplit() {
        Path fm = Path.of("/usr/share/datasets/fashion-mnist");
        assumeTrue(Files.isDirectory(fm), "Fashion-MNIST not installed at " + fm + ", skipping");
        IdxDataset ds = IdxDataset.open(fm, "test");
        assertEquals(10_000, ds.size());
        assertEquals(28, ds.height());
        assertEquals(28, ds.width());
        assertEquals(10, ds.numClasses());
        int[] perClass = new int[10];
        for (int i = 0; i < ds.size(); i++) perClass[ds.label(i)]++;
        for (int c : perClass) assertEquals(1000, c); // the test split is balanced
        float[] buf = new float[784];
        double sum = 0;
        for (int i = 0; i < 1000; i++) {
            ds.load(i, buf, 0);
            for (float v : buf) {
                assertTrue(v >= -1f && v <= 1f);
                sum += v;
            }
        }
        double mean = sum / (1000 * 784.0);
        assertTrue(mean > -0.5 && mean < -0.35, "mean " + mean); // Fashion-MNIST mean is about 0.286 of full scale
    }
}
