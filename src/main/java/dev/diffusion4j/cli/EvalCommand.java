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
import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.metrics.SampleQuality;
import dev.diffusion4j.train.EvalLog;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.RunReport;
import dev.diffusion4j.train.Sampling;
import dev.diffusion4j.train.TensorBoardLog;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Invocation;
import dev.diffusion4j.train.TextConditioning;
import dev.diffusion4j.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffuse eval}: negative log-likelihood in bits/dim (the variational bound) of a trained model on a dataset. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a trained model's negative log-likelihood bound in bits/dim: prior term + sum of the",
                "per-timestep KL terms + discretised decoder term, averaged over images (as improved-diffusion reports it).",
                "Each image costs one model call per timestep T, so the default evaluates a sample of the test split.",
                "A class-conditional run is scored as the model given each image's label (--unconditional: its 'no class' branch);",
                "a text-to-image run (nll only) as the model given each image's caption (--unconditional: the empty prompt).",
                "Results are appended to RUN/eval.jsonl, shown in RUN/report.html and, if the run logs to TensorBoard, written there."},
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

    @Option(names = "--unconditional", description = "On a class-conditional run, score its 'no class' branch (the model classifier-free "
            + "guidance starts from) instead of the class-conditional model, which is the default: nll then gives each image its label from "
            + "the data, and fid, kid and pr draw samples class by class with the run's guidance. On a text-to-image run, score the model "
            + "given the empty prompt instead of each image's caption.")
    boolean unconditional;

    @Override public Integer call() throws java.io.IOException {
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
        if (cfg.latent().isLatent() && quality.samples())
            throw new IllegalArgumentException("a latent-diffusion run is evaluated with --metrics nll (bits/dim in latent space) for now; "
                    + "score decoded samples with diffuse sample --images DIR and diffuse fid");
        ImageDataset ds = cfg.latent().isLatent() ? LatentRunSetup.evaluation(cfg.latent(), dataSpec, split, dev, out)
                : Datasets.open(dataSpec, cfg.model().inChannels(), cfg.model().resolution(), split, w -> out.println("warning: " + w));
        String scoredSplit = split.equalsIgnoreCase("train") || Datasets.hasSplit(dataSpec, split) ? split.toLowerCase(Locale.ROOT) : "train";
        TextConditioning text = TextConditioning.of(r, cfg, dev);
        if (text != null && quality.samples())
            throw new IllegalArgumentException("a text-to-image run is evaluated with --metrics nll for now; score prompted samples with "
                    + Invocation.command() + " sample --run " + Invocation.quote(run) + " --prompt \"...\" --images DIR and " + Invocation.command() + " fid");
        EvalTarget target = EvalTarget.of(cfg, unconditional, text != null);
        if (quality.nll()) target.checkLabels(cfg, ds);
        if (unconditional && !cfg.classConditional() && text == null) out.println("note: the run is unconditional; --unconditional changes nothing");
        out.println("scoring: " + target.description());
        int n = count <= 0 ? ds.size() : Math.min(count, ds.size());
        DenoisingNetwork model = Trainer.loadEmaModel(r, ck.dir(), dev);
        if (text != null) text.loadEma(ck.dir());
        GaussianDiffusion diffusion = cfg.diffusion().build();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", ck.step());
        row.put("split", scoredSplit);
        row.put("data", dataSpec);
        row.put("count", n);
        row.put("scored", target.id());
        SampleQuality q = quality.run(out, model, diffusion, cfg, target.conditional(), ds, dataSpec + "|" + split, n, batchSize, seed, dev);
        if (quality.nll()) row.putAll(nll(out, model, text, diffusion, ds, n, target, ck.step(), cfg.latent().isLatent(), dev));
        if (q != null) row.putAll(q.toRow());
        save(out, r, row);
        return 0;
    }

    /** The NLL bound over the first {@code n} images, printed and as eval.jsonl keys. */
    private Map<String, Object> nll(PrintWriter out, DenoisingNetwork model, TextConditioning text, GaussianDiffusion diffusion, ImageDataset ds, int n, EvalTarget target,
                                    long step, boolean latent, Device dev) {
        out.printf(Locale.ROOT, "evaluating %s (step %d) on %d images of %s, %d timesteps each, on %s%n", run, step, n, ds.describe(), diffusion.steps(), dev);
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
                Conditioning cond = text != null ? text.prompts(target.conditional() ? b.captions().subList(0, take) : Collections.nCopies(take, ""))
                        : target.conditional() ? labels(b, take, dev) : null;
                acc.add(diffusion.bitsPerDim(new NetworkDenoiser(model), x0, cond, gen));
                done += take;
                bar.step(take, String.format(Locale.ROOT, "%.4f bits/dim", acc.total()));
            }
        }
        double vb = acc.total() - acc.prior() - acc.decoder();
        out.printf(Locale.ROOT, "NLL bound: %.4f bits/dim (+/- %.4f standard error) over %d images%s%n", acc.total(), acc.totalStdErr(), acc.count(),
                latent ? ", in the autoencoder's latent space (scaled latents, not pixels; not comparable with pixel-space bits/dim)" : "");
        out.printf(Locale.ROOT, "  prior %.5f | sum of KL terms t=2..T %.4f | decoder (t=1) %.4f%n", acc.prior(), vb, acc.decoder());
        out.flush();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nll_bpd", acc.total());
        if (Double.isFinite(acc.totalStdErr())) m.put("nll_bpd_stderr", acc.totalStdErr());
        m.put("nll_prior_bpd", acc.prior());
        m.put("nll_decoder_bpd", acc.decoder());
        return m;
    }

    /** The first {@code take} labels of the batch as the model's class conditioning. */
    private static Conditioning labels(Batch b, int take, Device dev) {
        long[] y = new long[take];
        for (int i = 0; i < take; i++) y[i] = b.labels()[i];
        return Sampling.labels(y, dev);
    }

    /**
     * Appends the results to RUN/eval.jsonl, refreshes report.html and, where the run logs to TensorBoard, writes them
     * there. A run folder that cannot be written (read-only, full) costs a warning, not the results just printed.
     */
    private static void save(PrintWriter out, RunDir r, Map<String, Object> row) {
        try {
            Map<String, Object> written = EvalLog.append(r, row);
            RunReport.write(r);
            String where = EvalLog.file(r) + " and " + r.reportFile();
            if (TensorBoardLog.enabled(r)) {
                try (TensorBoardLog tb = TensorBoardLog.forEval(r)) {
                    tb.scalars("eval/" + row.get("split") + "/", written);
                    where += " and " + tb.file();
                }
            }
            out.println("saved in " + where);
        } catch (java.io.UncheckedIOException e) {
            out.println("warning: the results were not saved in the run: " + UserErrors.message(e));
        }
        out.flush();
    }

    /** Every option against its allowed range before the run or the data is read. */
    private Device checkOptions() {
        OptionChecks c = new OptionChecks(spec);
        if (checkpoint != null) c.atLeast("--checkpoint", checkpoint, 0);
        c.oneOf("--split", split, SPLITS).atLeast("--count", count, 0).between("--batch-size", batchSize, 1, TrainCommand.MAX_BATCH);
        return c.device("--device", device);
    }
}
