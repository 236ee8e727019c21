package dev.diffusion4j.train;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.metrics.FeatureExtraction;
import dev.diffusion4j.metrics.FeatureNetwork;
import dev.diffusion4j.metrics.Features;
import dev.diffusion4j.metrics.QualityMetric;
import dev.diffusion4j.metrics.ReferenceCache;
import dev.diffusion4j.metrics.ReferenceSet;
import dev.diffusion4j.metrics.SampleQuality;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Sample-quality evaluation against one reference set with one feature network: the reference features are computed
 * once (or read from the cache) and every call scores a new set of generated images against them.
 */
public final class QualityEvaluator {
    private final FeatureNetwork net;
    private final Set<QualityMetric> metrics;
    private final ImageDataset reference;
    private final String referenceKey;
    private final int count;
    private final int batchSize;
    private final Device device;
    private final ReferenceCache cache;
    private ReferenceSet ref;

    /**
     * @param referenceSpec what the user named as the reference data (with its split): part of the cache key
     * @param count         images on each side (the reference uses that many, evenly spaced over its dataset)
     */
    public QualityEvaluator(FeatureNetwork net, Set<QualityMetric> metrics, ImageDataset reference, String referenceSpec, int count,
                            int batchSize, Device device, ReferenceCache cache) {
        if (count < 2) throw new IllegalArgumentException("sample-quality metrics need at least 2 images, got --count " + count);
        this.net = net;
        this.metrics = Set.copyOf(metrics);
        this.reference = reference;
        this.count = Math.min(count, reference.size());
        this.referenceKey = referenceSpec + "|" + reference.describe() + "|" + this.count + "|" + reference.channels() + "x"
                + reference.height() + "x" + reference.width();
        this.batchSize = batchSize;
        this.device = device;
        this.cache = cache;
    }

    public FeatureNetwork network() { return net; }
    public int count() { return count; }

    /** The reference set's features and statistics (computed on first use, then cached on disk and in memory). */
    public ReferenceSet reference(IntConsumer progress) {
        if (ref == null)
            ref = cache.getOrCompute(net, referenceKey, () -> FeatureExtraction.ofDataset(net, reference, count, batchSize, device, progress));
        return ref;
    }

    /** Scores {@link #count()} generated images against the reference. */
    public SampleQuality evaluate(FeatureExtraction.Batches generated, IntConsumer progress, long seed) {
        ReferenceSet r = reference(progress);
        Features g = FeatureExtraction.ofBatches(net, count, batchSize, generated, progress);
        return SampleQuality.compute(metrics, r, g, seed);
    }
}
