package dev.diffusion4j.cli;

import dev.diffusion4j.diffusion.GraphedDenoiser;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.metrics.QualityMetric;
import dev.diffusion4j.metrics.ReferenceCache;
import dev.diffusion4j.metrics.SampleQuality;
import dev.diffusion4j.train.FeatureNetworks;
import dev.diffusion4j.train.GeneratedImages;
import dev.diffusion4j.train.QualityEvaluator;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.Set;
import picocli.CommandLine.Option;

/** The {@code diffuse train} options of periodic sample-quality evaluation (a picocli mixin), and wiring them into the trainer. */
public final class TrainEvalOptions {
    @Option(names = "--eval-every", paramLabel = "N", defaultValue = "0",
            description = "Every N steps (and at the end) score EMA samples against the data's test split with --eval-metrics;"
                    + " logged into metrics.jsonl and the report. Not saved in the run: give it again with --resume. 0 = off. Default: ${DEFAULT-VALUE}.")
    int every;

    @Option(names = "--eval-count", paramLabel = "M", defaultValue = "1000", description = "Generated (and reference) images per evaluation. Default: ${DEFAULT-VALUE}.")
    int count;

    @Option(names = "--eval-features", paramLabel = "NET", defaultValue = FeatureNetworks.AUTO, description = "Feature network: " + FeatureNetworks.HELP + ".")
    String features;

    @Option(names = "--eval-metrics", paramLabel = "LIST", defaultValue = "fd,kid", description = "Comma-separated: fd (or fid), kid, pr. Default: ${DEFAULT-VALUE}.")
    String metrics;

    private EnumSet<QualityMetric> parsed;

    /** Checks the options before any work starts. */
    void validate() {
        if (every < 0) throw new IllegalArgumentException("--eval-every must be >= 0, got " + every);
        if (every == 0) return;
        if (count < 2) throw new IllegalArgumentException("--eval-count must be at least 2, got " + count);
        parsed = QualityMetric.parse(metrics, Set.of());
        if (parsed.isEmpty()) throw new IllegalArgumentException("--eval-metrics names no metric; choose from fd, kid, pr");
        FeatureNetworks.check(features);
    }

    /** Opens the reference data and feature network and hands the trainer its periodic evaluation (nothing when off). */
    void attach(Trainer trainer, TrainConfig cfg, PrintWriter out) {
        if (every == 0) return;
        Device dev = Device.parse(cfg.device());
        int c = cfg.model().inChannels(), size = cfg.model().resolution();
        ImageDataset ref = Datasets.open(cfg.data(), c, size, "test", w -> out.println("warning: " + w));
        QualityEvaluator ev = new QualityEvaluator(FeatureNetworks.open(features, c, dev), parsed, ref, cfg.data() + "|test", count,
                Math.max(64, cfg.optim().batchSize()), dev, ReferenceCache.atDefaultLocation());
        out.println("evaluating every " + every + " steps: " + metrics + " of " + ev.count() + " EMA samples with " + ev.network().name()
                + " features against " + ref.describe());
        out.flush();
        trainer.evaluateEvery(every, (step, model, diffusion) -> {
            SampleQuality q;
            try (var net = new GraphedDenoiser(model)) {   // the graphs' memory goes back before training resumes
                q = ev.evaluate(new GeneratedImages(net, diffusion, cfg.sample(), cfg.model(), cfg.classConditional(), dev, cfg.seed()), null, step);
            }
            out.println();
            for (String w : q.warnings()) out.println("step " + step + ": warning: " + w);
            for (String line : q.lines()) out.println("step " + step + ": " + line);
            out.flush();
            return q.toRow();
        });
    }
}
