package dev.diffusion4j.data;

import java.util.Arrays;

/**
 * Builds batches in a fixed order that depends only on (seed, epoch, position): epoch e visits
 * the dataset in the permutation drawn from (seed, e), batch p takes slots p*B .. p*B+B-1 of it,
 * and the sample in slot k is augmented with a generator drawn from (seed, e, k). Any position
 * can therefore be produced again without replaying the ones before it. Single-threaded.
 */
final class BatchSource {
    private static final long SHUFFLE_STREAM = 0x53485546L;
    private static final long AUGMENT_STREAM = 0x41554721L;

    private final ImageDataset dataset;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final Transform transform;
    private final long epochs;
    private final int batchesPerEpoch;
    private long epoch;
    private int position;
    private int[] order;
    private long orderEpoch = -1;

    /** A produced batch and where it sits. */
    record Item(Batch batch, long epoch, int position) {}

    BatchSource(ImageDataset dataset, int batchSize, long seed, boolean shuffle, boolean dropLast,
                Transform transform, long epochs, long startEpoch, int startPosition) {
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive: " + batchSize);
        int n = dataset.size();
        this.batchesPerEpoch = dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
        if (batchesPerEpoch == 0 && n > 0) {
            throw new DatasetException("batch size " + batchSize + " is larger than the dataset (" + n
                    + " images), so no full batch can be formed",
                    "use a batch size of at most " + n + ", or a larger dataset");
        }
        if (startEpoch < 0 || startPosition < 0 || (startPosition >= batchesPerEpoch && batchesPerEpoch > 0)) {
            throw new DatasetException("cannot resume at epoch " + startEpoch + ", batch " + startPosition
                    + ": an epoch has " + batchesPerEpoch + " batches",
                    "resume with the same dataset and batch size as the interrupted run");
        }
        this.dataset = dataset;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
        this.transform = transform;
        this.epochs = epochs;
        this.epoch = startEpoch;
        this.position = startPosition;
    }

    int batchesPerEpoch() { return batchesPerEpoch; }

    boolean done() {
        return batchesPerEpoch == 0 || (epochs > 0 && epoch >= epochs);
    }

    Item next() {
        int[] perm = order(epoch);
        int n = dataset.size();
        int first = position * batchSize;
        int count = Math.min(batchSize, n - first);
        int c = dataset.channels(), h = dataset.height(), w = dataset.width(), len = c * h * w;
        float[] images = new float[count * len];
        int[] labels = new int[count];
        String[] captions = new String[count];
        for (int i = 0; i < count; i++) {
            int slot = first + i;
            int index = perm[slot];
            load(index, images, i * len);
            labels[i] = dataset.label(index);
            captions[i] = dataset.caption(index);
            if (transform != null) transform.apply(images, i * len, c, h, w, SplitMix64.of(seed, AUGMENT_STREAM, epoch, slot));
        }
        Item item = new Item(new Batch(images, labels, count > 0 && captions[0] != null ? java.util.Arrays.asList(captions) : null, count, c, h, w), epoch, position);
        if (++position == batchesPerEpoch) {
            position = 0;
            epoch++;
        }
        return item;
    }

    private void load(int index, float[] dst, int off) {
        try {
            dataset.load(index, dst, off);
        } catch (DatasetException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DatasetException("loading image " + index + " of " + dataset.describe() + " failed: " + e,
                    "the dataset may be damaged; the cause below says where", e);
        }
    }

    /** The visiting order of {@code e}: identity, or a Fisher-Yates shuffle seeded by (seed, e). */
    int[] order(long e) {
        if (orderEpoch == e) return order;
        int n = dataset.size();
        int[] perm = new int[n];
        Arrays.setAll(perm, i -> i);
        if (shuffle) {
            SplitMix64 rng = SplitMix64.of(seed, SHUFFLE_STREAM, e);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
        }
        order = perm;
        orderEpoch = e;
        return perm;
    }
}
