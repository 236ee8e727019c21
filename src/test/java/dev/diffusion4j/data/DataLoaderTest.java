package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
    private static List<Batch> take(DataLoader loader, int count) {
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(loader.next());
        return out;
    }

    private static void assertSameBatches(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).images(), b.get(i).images(), "batch " + i);
            assertArrayEquals(a.get(i).labels(), b.get(i).labels(), "batch " + i);
        }
    }

    private static int[] indices(Batch b) {
        int[] idx = new int[b.n()];
        for (int i = 0; i < b.n(); i++) idx[i] = CountingDataset.indexOf(b.images(), i * b.imageLength());
        return idx;
    }

    @Test
    void everyEpochIsAFreshPermutationAndLabelsFollowImages() {
        try (DataLoader loader = DataLoader.builder(new CountingDataset(10), 4).seed(1).dropLast(false).build()) {
            assertEquals(3, loader.batchesPerEpoch());
            List<int[]> orders = new ArrayList<>();
            for (int epoch = 0; epoch < 3; epoch++) {
                int[] order = new int[0];
                for (Batch b : take(loader, 3)) {
                    int[] idx = indices(b);
                    for (int i = 0; i < b.n(); i++) assertEquals(idx[i] % 3, b.labels()[i]);
                    order = concat(order, idx);
                }
                assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Arrays.stream(order).sorted().toArray());
                orders.add(order);
            }
            assertFalse(Arrays.equals(orders.get(0), orders.get(1)));
            assertFalse(Arrays.equals(orders.get(1), orders.get(2)));
            assertFalse(Arrays.equals(orders.get(0), new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
        }
    }

    @Test
    void sameSeedSameBatchesOnAnyThreadingDifferentSeedDifferent() {
        CountingDataset ds = new CountingDataset(23);
        List<Batch> async, sync, other;
        try (DataLoader l = DataLoader.builder(ds, 5).seed(42).flip(true).prefetch(3).build()) { async = take(l, 12); }
        try (DataLoader l = DataLoader.builder(ds, 5).seed(42).flip(true).prefetch(0).build()) { sync = take(l, 12); }
        try (DataLoader l = DataLoader.builder(ds, 5).seed(43).flip(true).prefetch(0).build()) { other = take(l, 12); }
        assertSameBatches(async, sync);
        assertFalse(Arrays.equals(async.getFirst().images(), other.getFirst().images()));
    }

    @Test
    void resumedLoaderSeesExactlyTheRemainingBatches() {
        CountingDataset ds = new CountingDataset(17);
        List<Batch> full;
        long savedEpoch = -1;
        int savedPosition = -1;
        try (DataLoader l = DataLoader.builder(ds, 4).seed(9).flip(true).build()) {
            assertEquals(4, l.batchesPerEpoch());
            full = new ArrayList<>();
            for (int i = 0; i < 14; i++) {
                if (i == 6) {
                    savedEpoch = l.epoch();
                    savedPosition = l.position();
                }
                full.add(l.next());
            }
            assertEquals(3, l.epoch()); // 14 batches of 4 per epoch: next is epoch 3, batch 2
            assertEquals(2, l.position());
        }
        assertEquals(1, savedEpoch);
        assertEquals(2, savedPosition);
        try (DataLoader resumed = DataLoader.builder(ds, 4).seed(9).flip(true).startAt(savedEpoch, savedPosition).build()) {
            assertSameBatches(full.subList(6, 14), take(resumed, 8));
        }
    }

    @Test
    void flipMirrorsAboutHalfTheSamplesExactly() {
        CountingDataset ds = new CountingDataset(400);
        int flipped = 0;
        try (DataLoader l = DataLoader.builder(ds, 50).seed(3).flip(true).epochs(1).build()) {
            while (l.hasNext()) {
                Batch b = l.next();
                for (int i = 0; i < b.n(); i++) {
                    int off = i * 6, idx = CountingDataset.indexOf(b.images(), off);
                    float[] img = Arrays.copyOfRange(b.images(), off, off + 6);
                    float[] plain = new float[6];
                    ds.load(idx, plain, 0);
                    if (!Arrays.equals(img, plain)) {
                        RandomFlip.flip(plain, 0, 1, 2, 3);
                        assertArrayEquals(plain, img);
                        flipped++;
                    }
                }
            }
        }
        assertTrue(flipped > 160 && flipped < 240, "flipped " + flipped + " of 400");
    }

    @Test
    void evaluationIsOneOrderedPassKeepingTheLastPartialBatch() {
        try (DataLoader l = DataLoader.evaluation(new CountingDataset(10), 4)) {
            List<Batch> all = new ArrayList<>();
            while (l.hasNext()) all.add(l.next());
            assertEquals(3, all.size());
            assertArrayEquals(new int[] {0, 1, 2, 3}, indices(all.get(0)));
            assertArrayEquals(new int[] {8, 9}, indices(all.get(2)));
            assertEquals(2 * 6, all.get(2).images().length);
            assertFalse(l.hasNext());
            assertThrows(NoSuchElementException.class, l::next);
        }
    }

    @Test
    void errorOnTheLoaderThreadIsRethrownWithItsCause() {
        IllegalStateException boom = new IllegalStateException("disk on fire");
        try (DataLoader l = DataLoader.builder(new CountingDataset(20, 13, boom), 4).shuffle(false).prefetch(2).build()) {
            take(l, 3); // images 0..11 are fine
            DatasetException e = assertThrows(DatasetException.class, l::next);
            assertTrue(e.getMessage().contains("image 13") && e.getMessage().contains("disk on fire"), e.getMessage());
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            assertSame(boom, root);
            assertThrows(DatasetException.class, l::next); // stays failed
        }
    }

    @Test
    void datasetExceptionKeepsItsMessageAcrossThreads() {
        DatasetException original = new DatasetException("image file x.png could not be decoded", "re-save it");
        try (DataLoader l = DataLoader.builder(new CountingDataset(8, 0, original), 2).shuffle(false).build()) {
            DatasetException e = assertThrows(DatasetException.class, l::next);
            assertEquals(original.getMessage(), e.getMessage());
            assertSame(original, e.getCause());
        }
    }

    @Test
    void closeStopsABlockedBackgroundThread() throws InterruptedException {
        DataLoader l = DataLoader.builder(new CountingDataset(100), 2).prefetch(1).build();
        l.next();
        Thread worker = l.worker();
        assertTrue(worker.isDaemon());
        Thread.sleep(50); // let it fill the queue and block
        assertTrue(worker.isAlive());
        l.close();
        assertFalse(worker.isAlive());
        assertThrows(IllegalStateException.class, l::next);
        l.close(); // idempotent
    }

    @Test
    void badBatchSizeAndResumePointAreExplained() {
        DatasetException big = assertThrows(DatasetException.class, () -> DataLoader.training(new CountingDataset(5), 8, 0));
        assertTrue(big.getMessage().contains("batch size 8 is larger than the dataset (5 images)"), big.getMessage());
        DatasetException resume = assertThrows(DatasetException.class,
                () -> DataLoader.builder(new CountingDataset(10), 5).startAt(2, 2).build());
        assertTrue(resume.getMessage().contains("an epoch has 2 batches"), resume.getMessage());
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
