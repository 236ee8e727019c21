package dev.diffusion4j.cli;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.metrics.QualityMetric;
import dev.diffusion4j.metrics.ReferenceCache;
import dev.diffusion4j.metrics.ReferenceSet;
import dev.diffusion4j.metrics.SampleQuality;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.train.FeatureNetworks;
import dev.diffusion4j.train.GeneratedImages;
import dev.diffusion4j.train.QualityEvaluator;
import dev.diffusion4j.train.TrainConfig;
import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The sample-quality part of {@code diffuse eval}: which metrics were asked for, and scoring a run's EMA samples. */
final class EvalQuality {
    private final EnumSet<QualityMetric> quality;
    private final boolean nll;
    private final String features;

    private EvalQuality(EnumSet<QualityMetric> quality, boolean nll, String features) {
        this.quality = quality;
        this.nll = nll;
        this.features = features;
    }

    /** Parses and checks --metrics and --features before any work starts. */
    static EvalQuality parse(String metrics, String features) {
        EnumSet<QualityMetric> q = QualityMetric.parse(metrics, Set.of("nll"));
        boolean nll = false;
        for (String s : metrics.split(",")) nll |= s.strip().equalsIgnoreCase("nll");
        if (q.isEmpty() && !nll) throw new IllegalArgumentException("--metrics names no metric; choose from nll, fid, kid, pr");
        if (!q.isEmpty()) FeatureNetworks.check(features);
        return new EvalQuality(q, nll, features);
    }

    boolean nll() { return nll; }

    /** Whether a sample metric (fid, kid, pr) was asked for. */
    boolean samples() { return !quality.isEmpty(); }

    /**
     * Samples {@code count} images from the model with the run's sampler and scores them against {@code reference};
     * {@code conditional}: class by class with the run's guidance, else with no class. Null when no sample metric was asked for.
     */
    SampleQuality run(PrintWriter out, DenoisingNetwork model, GaussianDiffusion diffusion, TrainConfig cfg, boolean conditional, ImageDataset reference,
                      String referenceSpec, int count, int batchSize, long seed, Device dev) {
        if (quality.isEmpty()) return null;
        QualityEvaluator ev = new QualityEvaluator(FeatureNetworks.open(features, cfg.model().inChannels(), dev), quality, reference, referenceSpec,
                count, batchSize, dev, ReferenceCache.atDefaultLocation());
        out.printf(Locale.ROOT, "sample quality: %d EMA samples (%s, %d steps%s) vs %d images of %s, %s features%n", ev.count(),
                cfg.sample().sampler(), cfg.sample().steps(), conditional ? ", classes in turn, guidance " + cfg.sample().guidance()
                        : cfg.classConditional() ? ", no class" : "",
                ev.count(), reference.describe(), ev.network().name());
        out.flush();
        ReferenceSet ref;
        try (ProgressBar bar = new ProgressBar(System.out, "reference", ev.count(), "img")) {
            ref = ev.reference(bar::step);
        }
        if (ref.fromCache()) out.println("reference features read from the cache in " + ReferenceCache.atDefaultLocation().dir());
        SampleQuality q;
        try (ProgressBar bar = new ProgressBar(System.out, "samples", ev.count(), "img"); var net = NetworkDenoiser.graphed(model)) {
            q = ev.evaluate(new GeneratedImages(net, diffusion, cfg.sample(), cfg.model(), conditional, dev, seed),
                    bar::step, seed);
        }
        for (String w : q.warnings()) out.println("warning: " + w);
        for (String line : q.lines()) out.println(line);
        out.flush();
        return q;
    }
}
