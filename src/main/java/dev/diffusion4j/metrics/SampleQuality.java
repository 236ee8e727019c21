package dev.diffusion4j.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Computes the requested metrics between a reference set and generated features and presents them: each number with
 * the feature network's name and the sample counts, as lines for people and as a flat map for metrics.jsonl.
 */
public record SampleQuality(String network, int referenceCount, int generatedCount, Double fd, KernelDistance.Result kid,
                            PrecisionRecall.Result pr, List<String> warnings) {

    public static SampleQuality compute(Set<QualityMetric> metrics, ReferenceSet ref, Features generated, long seed) {
        ref.features().checkComparable(generated);
        List<String> warnings = new ArrayList<>();
        Double fd = null;
        if (metrics.contains(QualityMetric.FD)) {
            GaussianStats g = GaussianStats.of(generated);
            for (GaussianStats s : List.of(ref.stats(), g))   // the same warning for both sets is said once
                if (s.singularWarning() != null && !warnings.contains(s.singularWarning())) warnings.add(s.singularWarning());
            fd = FrechetDistance.between(ref.stats(), g);
        }
        KernelDistance.Result kid = metrics.contains(QualityMetric.KID)
                ? KernelDistance.between(ref.features(), generated, KernelDistance.DEFAULT_SUBSETS, KernelDistance.DEFAULT_SUBSET_SIZE, seed) : null;
        PrecisionRecall.Result pr = metrics.contains(QualityMetric.PR)
                ? PrecisionRecall.between(ref.features(), generated, PrecisionRecall.DEFAULT_K) : null;
        return new SampleQuality(generated.network(), ref.features().count(), generated.count(), fd, kid, pr, List.copyOf(warnings));
    }

    /** "FID" only for Inception features (the name the number is known by, comparable across papers), "FD" otherwise. */
    public static String fdLabel(String network) { return network.startsWith("inception") ? "FID" : "FD"; }

    /** "KID" only for Inception features, "KD" otherwise. */
    public static String kidLabel(String network) { return network.startsWith("inception") ? "KID" : "KD"; }

    /** One line per metric, e.g. {@code FD 12.3456 (pixels-8x8, 1000 generated vs 1000 reference)}. */
    public List<String> lines() {
        String tail = String.format(Locale.ROOT, " (%s; %d images vs %d reference images)", network, generatedCount, referenceCount);
        List<String> out = new ArrayList<>();
        // FD is never negative: a set against itself can round to a tiny negative, printed as -0.0000
        if (fd != null) out.add(String.format(Locale.ROOT, "%s %.4f%s", fdLabel(network), Math.max(0.0, fd), tail));
        if (kid != null) out.add(String.format(Locale.ROOT, "%s %.6f +/- %.6f (%d subsets of %d)%s", kidLabel(network), kid.mean(), kid.std(),
                kid.subsets(), kid.subsetSize(), tail));
        if (pr != null) out.add(String.format(Locale.ROOT, "precision %.4f recall %.4f (k=%d)%s", pr.precision(), pr.recall(), pr.k(), tail));
        return out;
    }

    /** Flat keys for metrics.jsonl: fd, kid, kid_std, precision, recall, plus the network and counts. */
    public Map<String, Object> toRow() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (fd != null) m.put("fd", fd);
        if (kid != null) { m.put("kid", kid.mean()); m.put("kid_std", kid.std()); }
        if (pr != null) { m.put("precision", pr.precision()); m.put("recall", pr.recall()); }
        m.put("eval_features", network);
        m.put("eval_count", generatedCount);
        return m;
    }
}
