package dev.diffusion4j.cli;

import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.metrics.FeatureExtraction;
import dev.diffusion4j.metrics.FeatureNetwork;
import dev.diffusion4j.metrics.Features;
import dev.diffusion4j.metrics.GaussianStats;
import dev.diffusion4j.metrics.QualityMetric;
import dev.diffusion4j.metrics.ReferenceSet;
import dev.diffusion4j.metrics.SampleQuality;
import dev.diffusion4j.train.FeatureNetworks;
import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code diffuse fid A B}: Fréchet distance (and optionally KD, precision/recall) between two sets of images. */
@Command(name = "fid", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fréchet distance between two image sets (folders of PNG/JPEG, IDX or CIFAR-10 folders, or shapes specs),",
                "printed as FD with the feature network's name (FID is reserved for Inception features). A is the reference:",
                "precision is the share of B inside A's manifold, recall the share of A inside B's."},
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} fid /usr/share/datasets/fashion-mnist runs/fmnist/images --features runs/features-fmnist --metrics fd,kid,pr",
                "  ${sys:diffuse.command:-diffuse} fid real/ generated/ --image-size 32 --count 5000"})
public final class FidCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin ImageLimitOption imageLimit = new ImageLimitOption();

    @Parameters(index = "0", paramLabel = "A", description = "Reference images.")
    String a;

    @Parameters(index = "1", paramLabel = "B", description = "Images to compare with A (e.g. samples written by diffuse sample --images).")
    String b;

    @Option(names = "--features", paramLabel = "NET", defaultValue = FeatureNetworks.AUTO, description = "Feature network: " + FeatureNetworks.HELP + ".")
    String features;

    @Option(names = "--metrics", paramLabel = "LIST", defaultValue = "fd", description = "Comma-separated: fd (or fid), kid, pr. Default: ${DEFAULT-VALUE}.")
    String metrics;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0", description = "Images per set, evenly spaced over it (0 = all). Default: ${DEFAULT-VALUE}.")
    int count;

    @Option(names = "--split", paramLabel = "S", defaultValue = "test", description = "Split of IDX / CIFAR-10 data (train or test). Default: ${DEFAULT-VALUE}.")
    String split;

    @Option(names = "--image-size", paramLabel = "N", defaultValue = "0",
            description = "Square size images are resized to when the feature network takes any (0 = A's own; image folders need one). Default: ${DEFAULT-VALUE}.")
    int imageSize;

    @Option(names = "--channels", paramLabel = "C", defaultValue = "0", description = "Channels when the feature network takes any (0 = A's own). Default: ${DEFAULT-VALUE}.")
    int channels;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "100", description = "Images per batch. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of KD's random subsets. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto. Default: ${DEFAULT-VALUE}.")
    String device;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        imageLimit.apply(spec);
        EnumSet<QualityMetric> wanted = QualityMetric.parse(metrics, Set.of());
        if (wanted.isEmpty()) throw new IllegalArgumentException("--metrics names no metric; choose from fd, kid, pr");
        if (count < 0 || count == 1) throw new IllegalArgumentException("--count must be 0 (all) or at least 2, got " + count);
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        FeatureNetworks.check(features);
        Device dev = Device.parse(device);
        // A network with a fixed input decides the shape; pixels take A's own (or the options').
        FeatureNetwork net = features.strip().startsWith("pixels") ? null : FeatureNetworks.open(features, 0, dev);
        int c = net != null ? net.inputChannels() : channels, size = net != null ? net.inputSize() : imageSize;
        String sizeless = FolderImageSize.missing(a, size, "the " + features.strip() + " feature network");
        if (sizeless != null) throw new IllegalArgumentException(sizeless);
        ImageDataset da = Datasets.open(a, c, size, split, w -> out.println("warning: " + w));
        if (net == null) net = FeatureNetworks.open(features, da.channels(), dev);
        ImageDataset db = Datasets.open(b, da.channels(), da.height(), split, w -> out.println("warning: " + w));
        out.printf(Locale.ROOT, "A: %s%nB: %s%nfeatures: %s (%d-d)%n", da.describe(), db.describe(), net.name(), net.dim());
        out.flush();
        int na = count == 0 ? da.size() : Math.min(count, da.size()), nb = count == 0 ? db.size() : Math.min(count, db.size());
        Features fa, fb;
        try (ProgressBar bar = new ProgressBar(System.out, "features", na + nb, "img")) {
            fa = FeatureExtraction.ofDataset(net, da, na, batchSize, dev, bar::step);
            fb = FeatureExtraction.ofDataset(net, db, nb, batchSize, dev, bar::step);
        }
        SampleQuality q = SampleQuality.compute(wanted, new ReferenceSet(fa, GaussianStats.of(fa), false), fb, seed);
        for (String w : q.warnings()) out.println("warning: " + w);
        for (String line : q.lines()) out.println(line);
        out.flush();
        return 0;
    }
}
