package dev.diffusion4j.cli;

import dev.diffusion4j.train.Invocation;

import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.data.StridedSplit;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.models.FeatureClassifierConfig;
import dev.diffusion4j.train.FeatureRun;
import dev.diffusion4j.train.FeatureRunConfig;
import dev.diffusion4j.train.FeatureTrainer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffuse train-features}: trains the small classifier whose penultimate layer is a feature network for FD/KID/PR. */
@Command(name = "train-features", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a small image classifier on labelled data; its penultimate layer then serves as the feature network",
                "of diffuse fid / eval / train --eval-features (FD, KD, precision/recall) on that kind of data, offline.",
                "Every 10th training image is held out and its accuracy is reported at the end."},
        footer = {"", "Example:", "  ${sys:diffuse.command:-diffuse} train-features --data /usr/share/datasets/fashion-mnist --out runs/features-fmnist --device cuda",
                "  ${sys:diffuse.command:-diffuse} fid runs/fmnist-samples /usr/share/datasets/fashion-mnist --features runs/features-fmnist"})
public final class TrainFeaturesCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin ImageLimitOption imageLimit = new ImageLimitOption();

    @Option(names = "--data", paramLabel = "SPEC", required = true,
            description = "Labelled training images: a folder with one sub-folder per class, IDX files (e.g. Fashion-MNIST), CIFAR-10 binaries or 'shapes'.")
    String data;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Run folder to create.")
    Path out;

    @Option(names = "--channels", paramLabel = "C", defaultValue = "0", description = "Image channels (0 = the data's own). Default: ${DEFAULT-VALUE}.")
    int channels;

    @Option(names = "--image-size", paramLabel = "N", defaultValue = "0",
            description = "Square image size (0 = the data's own; image folders need one). Default: ${DEFAULT-VALUE}.")
    int imageSize;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "2000", description = "Optimizer steps. Default: ${DEFAULT-VALUE}.")
    long steps;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "128", description = "Images per step. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "2e-3", description = "Peak learning rate (AdamW, cosine decay). Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--width", paramLabel = "W", defaultValue = "32", description = "Channels of the first stage (a multiple of 8). Default: ${DEFAULT-VALUE}.")
    int width;

    @Option(names = "--feature-dim", paramLabel = "D", defaultValue = "128", description = "Length of the feature vector. Default: ${DEFAULT-VALUE}.")
    int featureDim;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of the initialisation and shuffling. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto. Default: ${DEFAULT-VALUE}.")
    String device;

    @Override public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        imageLimit.apply(spec);
        if (Files.exists(out.resolve("config.json"))) throw new IllegalArgumentException(out + " already holds a run; choose another --out");
        Device dev = Device.parse(device);
        String sizeless = FolderImageSize.missing(data, imageSize, "train-features");
        if (sizeless != null) throw new IllegalArgumentException(sizeless);
        ImageDataset all = Datasets.open(data, channels, imageSize, "train", w -> o.println("warning: " + w));
        if (all.numClasses() < 2)
            throw new IllegalArgumentException("train-features needs labelled data with at least 2 classes; " + all.describe()
                    + " has " + all.numClasses() + " (use a folder with one sub-folder per class, IDX, CIFAR-10 or shapes)");
        if (all.height() != all.width()) throw new IllegalArgumentException("train-features needs square images; give --image-size");
        if (all.size() < 20) throw new IllegalArgumentException(all.describe() + " has only " + all.size() + " images; train-features needs at least 20");
        var cfg = new FeatureRunConfig(data, new FeatureClassifierConfig(all.channels(), all.height(), all.numClasses(), width, featureDim),
                steps, batchSize, lr, seed, dev.toString());
        FeatureRun run = FeatureRun.create(out, cfg);
        ImageDataset train = StridedSplit.kept(all, 10), heldOut = StridedSplit.heldOut(all, 10);
        o.printf(Locale.ROOT, "training the feature classifier on %s; holding out %d images; device %s%n", train.describe(), heldOut.size(), dev);
        o.flush();
        FeatureTrainer.Result r;
        try (ProgressBar bar = new ProgressBar(System.out, "train-features", steps, "step")) {
            double[] last = {Double.NaN};
            r = new FeatureTrainer(run, dev).train(train, heldOut, 0, s -> bar.step(1, Double.isNaN(last[0]) ? null
                    : String.format(Locale.ROOT, "loss %.4f", last[0])), row -> {
                if (row.get("loss_avg") instanceof Number n) last[0] = n.doubleValue();
            });
        }
        o.printf(Locale.ROOT, "held-out accuracy %.4f on %d images (training batches: %.4f)%n", r.heldOutAccuracy(), r.heldOutCount(), r.trainAccuracy());
        o.println("features: " + run.modelFile().toAbsolutePath() + " (" + featureDim + "-d)");
        // a runnable example (the data against itself: FD near 0); with your own sets, pass --features the same way
        o.println("next: " + Invocation.command() + " fid " + Invocation.quote(data) + " " + Invocation.quote(data) + " --features " + Invocation.quote(out)
                + "   (also: eval --metrics fid,kid --features " + Invocation.quote(out) + ", train --eval-features " + Invocation.quote(out) + ")");
        o.flush();
        return 0;
    }
}
