package dev.diffusion4j.metrics;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/** Runs a feature network over a dataset or over generated batches, collecting float64 feature rows. */
public final class FeatureExtraction {
    private FeatureExtraction() {}

    /**
     * Features of {@code count} images of a dataset, evenly spaced over it (all of it when count is 0 or larger), so a
     * subset of a class-sorted dataset still covers every class. {@code progress} receives images done per batch.
     */
    public static Features ofDataset(FeatureNetwork net, ImageDataset ds, int count, int batchSize, Device device, IntConsumer progress) {
        int n = count <= 0 ? ds.size() : Math.min(count, ds.size());
        if (n < 2) throw new IllegalArgumentException(ds.describe() + " has " + ds.size() + " images; metrics need at least 2");
        int len = ds.imageLength();
        return ofBatches(net, n, batchSize, (start, size) -> {
            float[] buf = new float[size * len];
            for (int i = 0; i < size; i++) ds.load((int) ((long) (start + i) * ds.size() / n), buf, i * len);
            return Tensor.of(buf, size, ds.channels(), ds.height(), ds.width()).to(device);
        }, progress);
    }

    /** A source of image batches {@code [size, C, H, W]} in [-1, 1], asked for images {@code start .. start+size-1}. */
    @FunctionalInterface
    public interface Batches { Tensor get(int start, int size); }

    /** Features of {@code count} images drawn batch by batch from {@code batches}. */
    public static Features ofBatches(FeatureNetwork net, int count, int batchSize, Batches batches, IntConsumer progress) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        int d = net.dim();
        double[] out = new double[count * d];
        try (var g = GradMode.off()) {
            for (int start = 0; start < count; start += batchSize) {
                int size = Math.min(batchSize, count - start);
                float[] f = net.features(batches.get(start, size));
                if (f.length != size * d)
                    throw new IllegalStateException(net.name() + " returned " + f.length + " values for " + size + " images of " + d + " features");
                for (int i = 0; i < f.length; i++) out[start * d + i] = f[i];
                if (progress != null) progress.accept(size);
            }
        }
        return new Features(net.name(), count, d, out);
    }

    /** Adapts a per-batch image producer that ignores the start index. */
    public static Batches sequential(IntFunction<Tensor> next) { return (start, size) -> next.apply(size); }
}
