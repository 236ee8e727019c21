package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10DatasetTest {
    @TempDir Path dir;

    /** A batch file of {@code n} records; record r has label (first + r) % 10 and pixel p = (first + r) * 7 + p. */
    static Path batch(Path file, int first, int n) throws IOException {
        byte[] b = new byte[n * Cifar10Dataset.RECORD_BYTES];
        for (int r = 0; r < n; r++) {
            int base = r * Cifar10Dataset.RECORD_BYTES;
            b[base] = (byte) ((first + r) % 10);
            for (int p = 0; p < Cifar10Dataset.IMAGE_BYTES; p++) b[base + 1 + p] = (byte) ((first + r) * 7 + p);
        }
        return TestFiles.bytes(file, b);
    }

    private void fullSet(Path d) throws IOException {
        for (int i = 1; i <= 5; i++) batch(d.resolve("data_batch_" + i + ".bin"), (i - 1) * 2, 2);
        batch(d.resolve("test_batch.bin"), 100, 3);
    }

    @Test
    void readsAllTrainBatchesInOrder() throws IOException {
        fullSet(dir);
        Cifar10Dataset ds = Cifar10Dataset.open(dir, "train");
        assertEquals(10, ds.size());
        assertEquals(3, ds.channels());
        assertEquals(32, ds.height());
        float[] x = new float[3072];
        for (int i = 0; i < 10; i++) {
            assertEquals(i % 10, ds.label(i));
            ds.load(i, x, 0);
            // red plane first, then green, then blue: stored order is already CHW
            for (int p : new int[] {0, 1023, 1024, 3071}) assertEquals(((i * 7 + p) & 0xff) / 127.5f - 1f, x[p], 1e-6f);
        }
    }

    @Test
    void testSplitAndBatchesBinSubfolder() throws IOException {
        fullSet(Files.createDirectories(dir.resolve("cifar-10-batches-bin")));
        Cifar10Dataset ds = Cifar10Dataset.open(dir, "test");
        assertEquals(3, ds.size());
        assertEquals(101 % 10, ds.label(1));
        assertEquals("cat", Cifar10Dataset.CLASS_NAMES.get(3));
    }

    @Test
    void missingBatchesAreListed() throws IOException {
        fullSet(dir);
        Files.delete(dir.resolve("data_batch_4.bin"));
        DatasetException e = assertThrows(DatasetException.class, () -> Cifar10Dataset.open(dir, "train"));
        assertTrue(e.getMessage().contains("lacks data_batch_4.bin") && e.getMessage().contains("cifar-10-binary.tar.gz"), e.getMessage());
    }

    @Test
    void truncatedBatchIsReported() throws IOException {
        Path f = batch(dir.resolve("test_batch.bin"), 0, 3);
        TestFiles.truncate(f, 2 * Cifar10Dataset.RECORD_BYTES + 100);
        DatasetException e = assertThrows(DatasetException.class, () -> Cifar10Dataset.open(dir, "test"));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("3073-byte records"), e.getMessage());
    }

    @Test
    void labelOutOfRangeMeansNotCifar10() throws IOException {
        Path f = batch(dir.resolve("x.bin"), 0, 2);
        byte[] b = Files.readAllBytes(f);
        b[Cifar10Dataset.RECORD_BYTES] = 57;
        Files.write(f, b);
        DatasetException e = assertThrows(DatasetException.class, () -> Cifar10Dataset.open(f, "train"));
        assertTrue(e.getMessage().contains("record 1") && e.getMessage().contains("not a CIFAR-10 binary"), e.getMessage());
    }

    @Test
    void missingPathIsNamed() {
        DatasetException e = assertThrows(DatasetException.class, () -> Cifar10Dataset.open(dir.resolve("cifar"), "train"));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
