package dev.diffusion4j.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Delivers batches of a dataset, built on a background daemon thread that stays at most
 * {@code prefetch} batches ahead (prefetch 0 builds them on the caller's thread). Batch order
 * and augmentation depend only on (seed, epoch, position), see {@link BatchSource}, so a run
 * resumed with {@link Builder#startAt} sees exactly the batches the interrupted run would have.
 * An error on the loading thread is rethrown by {@link #next()} with the original as cause.
 *
 * <p>Not thread-safe: one consumer thread. Always {@link #close()} it (try-with-resources).
 */
public final class DataLoader implements Iterator<Batch>, AutoCloseable {
    private static final Object END = new Object();

    private record Failure(Throwable error) {}

    private final BatchSource source;
    private final int prefetch;
    private final BlockingQueue<Object> queue;
    private Thread worker;
    private volatile boolean closed;
    private Object peeked;
    private RuntimeException failed;
    private long epoch;
    private int position;

    private DataLoader(Builder b) {
        this.source = new BatchSource(b.dataset, b.batchSize, b.seed, b.shuffle, b.dropLast, b.transform,
                b.epochs, b.startEpoch, b.startPosition);
        this.prefetch = b.prefetch;
        this.queue = prefetch > 0 ? new ArrayBlockingQueue<>(prefetch) : null;
        this.epoch = b.startEpoch;
        this.position = b.startPosition;
    }

    public static Builder builder(ImageDataset dataset, int batchSize) {
        return new Builder(dataset, batchSize);
    }

    /** Endless shuffled full batches for training, two batches prefetched. */
    public static DataLoader training(ImageDataset dataset, int batchSize, long seed) {
        return builder(dataset, batchSize).seed(seed).build();
    }

    /** One pass in dataset order, last batch possibly smaller, for evaluation. */
    public static DataLoader evaluation(ImageDataset dataset, int batchSize) {
        return builder(dataset, batchSize).shuffle(false).dropLast(false).epochs(1).build();
    }

    /** Batches in one epoch. */
    public int batchesPerEpoch() { return source.batchesPerEpoch(); }

    /** Epoch of the batch the next {@link #next()} returns: save it with a checkpoint. */
    public long epoch() { return epoch; }

    /** Position within {@link #epoch()} of the batch the next {@link #next()} returns. */
    public int position() { return position; }

    @Override
    public boolean hasNext() {
        fill();
        return peeked != END;
    }

    @Override
    public Batch next() {
        if (!hasNext()) throw new NoSuchElementException("the data loader has delivered its last batch");
        Object item = peeked;
        peeked = null;
        if (item instanceof Failure f) {
            failed = rethrowable(f.error());
            throw failed;
        }
        BatchSource.Item it = (BatchSource.Item) item;
        position = it.position() + 1;
        epoch = it.epoch();
        if (position == source.batchesPerEpoch()) {
            position = 0;
            epoch++;
        }
        return it.batch();
    }

    private void fill() {
        if (closed) throw new IllegalStateException("the data loader is closed");
        if (failed != null) throw failed;
        if (peeked != null) return;
        if (prefetch == 0) {
            peeked = source.done() ? END : source.next();
            return;
        }
        if (worker == null) start();
        try {
            peeked = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the next batch", e);
        }
    }

    private void start() {
        worker = Thread.ofPlatform().daemon().name("diffusion4j-data-loader").unstarted(this::produce);
        worker.start();
    }

    private void produce() {
        try {
            while (!closed) {
                if (source.done()) {
                    queue.put(END);
                    return;
                }
                queue.put(source.next());
            }
        } catch (InterruptedException e) {
            // close() interrupts a worker blocked on a full queue: just stop.
        } catch (Throwable t) {
            try {
                queue.put(new Failure(t)); // blocks until the consumer has taken the batches before it
            } catch (InterruptedException closing) {
                // closed meanwhile: nobody is left to tell
            }
        }
    }

    /** The worker's error as an exception of the consumer thread, keeping the original as cause. */
    private static RuntimeException rethrowable(Throwable t) {
        if (t instanceof DatasetException d) return new DatasetException(d.problem(), d.fix(), d);
        return new DatasetException("data loading failed on the background thread: " + t,
                "see the cause below; if it is OutOfMemoryError, lower the batch size or raise -Xmx", t);
    }

    /** Stops the background thread and drops prefetched batches. Idempotent. */
    @Override
    public void close() {
        closed = true;
        Thread w = worker;
        if (w != null) {
            w.interrupt();
            try {
                w.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (queue != null) queue.clear();
        peeked = null;
    }

    /** The worker thread, for tests that check it ends. */
    Thread worker() { return worker; }

    /** Options; the defaults suit training: shuffled, full batches only, endless, prefetch 2. */
    public static final class Builder {
        private final ImageDataset dataset;
        private final int batchSize;
        private long seed;
        private boolean shuffle = true;
        private boolean dropLast = true;
        private Transform transform;
        private long epochs;
        private int prefetch = 2;
        private long startEpoch;
        private int startPosition;

        private Builder(ImageDataset dataset, int batchSize) {
            this.dataset = dataset;
            this.batchSize = batchSize;
        }

        public Builder seed(long seed) { this.seed = seed; return this; }

        public Builder shuffle(boolean shuffle) { this.shuffle = shuffle; return this; }

        /** Drop an incomplete last batch of each epoch (true by default, as training wants). */
        public Builder dropLast(boolean dropLast) { this.dropLast = dropLast; return this; }

        /** Augmentation applied to each sample, or null for none. */
        public Builder transform(Transform transform) { this.transform = transform; return this; }

        /** Shorthand for {@code transform(new RandomFlip())} or none. */
        public Builder flip(boolean flip) { this.transform = flip ? new RandomFlip() : null; return this; }

        /** Stop after this many epochs (counted from 0, so resuming keeps the same end); 0 = endless. */
        public Builder epochs(long epochs) { this.epochs = Math.max(0, epochs); return this; }

        /** Batches built ahead on the background thread; 0 builds them on the caller's thread. */
        public Builder prefetch(int prefetch) {
            if (prefetch < 0) throw new IllegalArgumentException("prefetch must be >= 0: " + prefetch);
            this.prefetch = prefetch;
            return this;
        }

        /** Resume at batch {@code position} of {@code epoch}, as saved from {@link #epoch()}/{@link #position()}. */
        public Builder startAt(long epoch, int position) {
            this.startEpoch = epoch;
            this.startPosition = position;
            return this;
        }

        public DataLoader build() { return new DataLoader(this); }
    }
}
