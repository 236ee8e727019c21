package dev.diffusion4j.cli;

import dev.diffusion4j.data.Batch;
import dev.diffusion4j.data.DataLoader;
import dev.diffusion4j.data.Background;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.NllAccumulator;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffuse eval}: negative log-likelihood in bits/dim (the variational bound) of a trained model on a dataset. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a trained model's negative log-likelihood bound in bits/dim: prior term + sum of the",
                "per-timestep KL terms + discretised decoder term, averaged over images (as improved-diffusion reports it).",
                "Each image costs one model call per timestep T, so the default evaluates a sample of the test split."},
        footer = {"", "Example:", "  ${sys:diffuse.command:-diffuse} eval --run runs/fmnist --split test --count 1000 --device cuda"})
public final class EvalCommand implements Callable<Integer> {
    static final java.util.List<String> SPLITS = java.util.List.of("train", "test");

    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin ImageLimitOption imageLimit = new ImageLimitOption();

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "Training run folder.")
    Path run;

    @Option(names = "--checkpoint", paramLabel = "STEP", description = "Checkpoint step. Default: the latest.")
    Long checkpoint;

    @Option(names = "--data", paramLabel = "SPEC", description = "Dataset to evaluate on. Default: the run's training data spec.")
    String data;

    @Option(names = "--split", paramLabel = "S", defaultValue = "test", description = "Split: train or test. An explicit test on data without one (the built-in shapes, an image folder without a test/ "
                    + "sub-folder) is refused; the default then scores the training images and says so. Default: ${DEFAULT-VALUE}.")
    String split;

    @Option(names = "--count", paramLabel = "N", defaultValue = "64", description = "Images to evaluate (0 = all). Default: ${DEFAULT-VALUE}.")
    int count;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "64", description = "Images per batch. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of the noise draws. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--metrics", paramLabel = "LIST", defaultValue = "nll",
            description = "Comma-separated: nll (the bound above), fid (Fréchet distance; FD unless the features are Inception's), kid, pr"
                    + " (precision/recall). fid, kid and pr score --count EMA samples (the run's sampler) against --count images of the data. Default: ${DEFAULT-VALUE}.")
    String metrics;

    @Option(names = "--features", paramLabel = "NET", defaultValue = dev.diffusion4j.train.FeatureNetworks.AUTO,
            description = "Feature network of fid, kid and pr: " + dev.diffusion4j.train.FeatureNetworks.HELP + ".")
    String features;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Device dev = checkOptions();
        imageLimit.apply(spec);
        EvalQuality quality = EvalQuality.parse(metrics, features);
        RunDir r = RunDir.open(run);
        TrainConfig cfg = r.config();
        var ck = RunCheckpoint.pick(r, checkpoint);
        String dataSpec = data != null ? data : cfg.data();
        if (!split.equalsIgnoreCase("train") && !Datasets.hasSplit(dataSpec, split)) {
            // no silent scoring of the training images as if they were held out
            if (spec.commandLine().getParseResult().hasMatchedOption("--split"))
                throw new OptionChecks(spec).fail("--split " + split + ": the data " + dataSpec + " has no " + split
                        + " split (only IDX, CIFAR-10 and image folders with a " + split + "/ sub-folder do); use --split train");
            out.println("note: the data " + dataSpec + " has no " + split + " split; scoring its training images");
        }
        Background.set(cfg.background());     // transparent pixels as in training
        if (cfg.latent().isLatent() && !metrics.strip().equalsIgnoreCase("nll"))
            throw new IllegalArgumentException("a latent-diffusion run is evaluated with --metrics nll (bits/dim in latent space) for now; "
                    + "score decoded samples with diffuse sample --images DIR and diffuse fid");
        ImageDataset ds = cfg.latent().isLatent() ? LatentRunSetup.evaluation(cfg.latent(), dataSpec, split, dev, out)
                : Datasets.open(dataSpec, cfg.model().inChannels(), cfg.model().resolution(), split, w -> out.println("warning: " + w));
        int n = count <= 0 ? ds.size() : Math.min(count, ds.size());
        DenoisingNetwork model = Trainer.loadEmaModel(r, ck.dir(), dev);
        GaussianDiffusion diffusion = cfg.diffusion().build();
        quality.run(out, model, diffusion, cfg, ds, (data != null ? data : cfg.data()) + "|" + split, n, batchSize, seed, dev);
        if (!quality.nll()) return 0;
        out.printf(Locale.ROOT, "evaluating %s (step %d) on %d images of %s, %d timesteps each, on %s%n", run, ck.step(), n, ds.describe(), diffusion.steps(), dev);
        out.flush();
        NllAccumulator acc = new NllAccumulator(diffusion.steps());
        Generator gen = new Generator(seed);
        try (var g = GradMode.off();
             DataLoader loader = DataLoader.builder(ds, batchSize).shuffle(false).dropLast(false).flip(false).epochs(1).build();
             ProgressBar bar = new ProgressBar(System.out, "eval", n, "img")) {
            int done = 0;
            while (done < n && loader.hasNext()) {
                Batch b = loader.next();
                int take = Math.min(b.n(), n - done);
                Tensor x0 = Tensor.of(b.images(), b.n(), b.c(), b.h(), b.w()).slice(0, 0, take).contiguous().to(dev);
                acc.add(diffusion.bitsPerDim(new NetworkDenoiser(model), x0, null, gen));
                done += take;
                bar.step(take, String.format(Locale.ROOT, "%.4f bits/dim", acc.total()));
            }
        }
        double vb = acc.total() - acc.prior() - acc.decoder();
        out.printf(Locale.ROOT, "NLL bound: %.4f bits/dim (+/- %.4f standard error) over %d images%s%n", acc.total(), acc.totalStdErr(), acc.count(),
                cfg.latent().isLatent() ? ", in the autoencoder's latent space (scaled latents, not pixels; not comparable with pixel-space bits/dim)" : "");
        out.printf(Locale.ROOT, "  prior %.5f | sum of KL terms t=2..T %.4f | decoder (t=1) %.4f%n", acc.prior(), vb, acc.decoder());
        out.flush();
        return 0;
    }

    /** Every option against its allowed range before the run or the data is read. */
    private Device checkOptions() {
        OptionChecks c = new OptionChecks(spec);
        if (checkpoint != null) c.atLeast("--checkpoint", checkpoint, 0);
        c.oneOf("--split", split, SPLITS).atLeast("--count", count, 0).between("--batch-size", batchSize, 1, TrainCommand.MAX_BATCH);
        return c.device("--device", device);
    }
}
