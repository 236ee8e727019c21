package dev.diffusion4j.cli;

import dev.diffusion4j.data.Background;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.metrics.FeatureNetwork;
import dev.diffusion4j.metrics.Features;
import dev.diffusion4j.metrics.FrechetDistance;
import dev.diffusion4j.metrics.GaussianStats;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.models.lpips.Lpips;
import dev.diffusion4j.train.FeatureNetworks;
import dev.diffusion4j.train.autoencoder.AutoencoderData;
import dev.diffusion4j.train.autoencoder.AutoencoderRun;
import dev.diffusion4j.train.autoencoder.PerceptualLossConfig;
import dev.diffusion4j.train.autoencoder.Reconstructions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffuse reconstruct}: how well a trained autoencoder reproduces images (PSNR, SSIM, optionally FD). */
@Command(name = "reconstruct", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Encode and decode images with a trained autoencoder (its EMA weights, posterior mode) and print the mean PSNR and",
                "SSIM (11x11 Gaussian window, sigma 1.5) of the reconstructions, and their Fréchet distance to the inputs when a feature",
                "network is available; LPIPS (VGG16) with the user's weights (those the run trained with, or --vgg-weights and",
                "--lpips-weights); --out writes a grid of input/reconstruction pairs."},
        footer = {"", "Example:", "  ${sys:diffuse.command:-diffuse} reconstruct --run runs/ae --data shapes --count 64 --out runs/ae/reconstructions.png"})
public final class ReconstructCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin ImageLimitOption imageLimit = new ImageLimitOption();

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "A diffuse train-autoencoder run folder.")
    Path runDir;

    @Option(names = "--data", paramLabel = "SPEC", description = "Images to reconstruct. Default: the run's training data.")
    String data;

    @Option(names = "--split", paramLabel = "S", defaultValue = "test", description = "Split of IDX / CIFAR-10 data (train or test). Default: ${DEFAULT-VALUE}.")
    String split;

    @Option(names = "--count", paramLabel = "N", defaultValue = "256", description = "Images, from the first on (0 = all). Default: ${DEFAULT-VALUE}.")
    int count;

    @Option(names = "--out", paramLabel = "PNG", description = "Write a grid of input/reconstruction pairs (the first 32 images) here.")
    Path out;

    @Option(names = "--features", paramLabel = "NET", defaultValue = FeatureNetworks.AUTO,
            description = "Feature network for FD between inputs and reconstructions: " + FeatureNetworks.HELP
                    + "; with the default, FD is left out when no Inception weights are found; 'none' leaves it out.")
    String features;

    @Option(names = "--vgg-weights", paramLabel = "FILE",
            description = "torchvision's VGG16 state dict (vgg16-397923af.pth) for LPIPS, with --lpips-weights. Default: the files of a run trained with "
                    + "the perceptual loss; none ship with diffusion4j, so otherwise LPIPS is left out.")
    Path vggWeights;

    @Option(names = "--lpips-weights", paramLabel = "FILE", description = "lpips' v0.1 vgg.pth for LPIPS, with --vgg-weights.")
    Path lpipsWeights;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "32", description = "Images per batch. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto. Default: ${DEFAULT-VALUE}.")
    String device;

    @Override public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        imageLimit.apply(spec);
        OptionChecks c = new OptionChecks(spec);
        c.atLeast("--count", count, 0).between("--batch-size", batchSize, 1, 65536);
        Device dev = c.device("--device", device);
        if (out != null) c.outputFile("--out", out);
        boolean wantFd = !features.strip().equalsIgnoreCase("none");
        String fdNote = null;
        if (wantFd) {
            try {
                FeatureNetworks.check(features);
            } catch (RuntimeException e) {
                if (!features.strip().equalsIgnoreCase(FeatureNetworks.AUTO)) throw e;
                wantFd = false;
                fdNote = "FD left out: " + e.getMessage();
            }
        }
        AutoencoderRun run = AutoencoderRun.open(runDir);
        Autoencoder ae = run.load(dev);
        String spec = data != null ? data : run.config().data();
        Background.set(run.config().background());     // as the autoencoder was trained
        ImageDataset ds = Datasets.open(spec, ae.imageChannels(), run.config().imageSize(), split, w -> o.println("warning: " + w));
        AutoencoderData.check(ae, ds);
        int n = count == 0 ? ds.size() : Math.min(count, ds.size());
        c.require(!wantFd || n >= 2, "FD needs at least 2 images; give --count 2 or more, or --features none");
        FeatureNetwork net = wantFd ? FeatureNetworks.open(features, ds.channels(), dev) : null;
        Lpips lpips = lpips(c, run, ds, dev, o);
        o.printf(Locale.ROOT, "autoencoder: %s (step %d); data: %s%n", runDir, run.checkpoint().step(), ds.describe());
        o.flush();
        double psnrSum = 0, ssimSum = 0, lpipsSum = 0;
        int infinite = 0;
        int d = net == null ? 0 : net.dim();
        double[] fIn = new double[n * d], fOut = new double[n * d];
        Reconstructions first = null;
        try (ProgressBar bar = new ProgressBar(System.out, "reconstruct", n, "img")) {
            for (int start = 0; start < n; start += batchSize) {
                int size = Math.min(batchSize, n - start);
                Reconstructions r = Reconstructions.of(ae, AutoencoderData.range(ds, start, size).to(dev));
                if (first == null) first = r;
                for (double p : r.psnrPerImage()) if (Double.isInfinite(p)) infinite++; else psnrSum += p;
                for (double s : r.ssimPerImage()) ssimSum += s;
                if (lpips != null) {
                    try (var g = GradMode.off()) { lpipsSum += lpips.distance(r.inputTensor(), r.outputTensor()).to(DType.F64).sum().item(); }
                }
                if (net != null) {
                    copy(net.features(r.inputTensor()), fIn, start * d);
                    copy(net.features(r.outputTensor()), fOut, start * d);
                }
                bar.step(size);
            }
        }
        o.printf(Locale.ROOT, "PSNR %.3f dB (mean over %d images%s)%n", infinite == n ? Double.POSITIVE_INFINITY : psnrSum / (n - infinite), n,
                infinite > 0 ? "; " + infinite + " reproduced exactly, left out of the mean" : "");
        o.printf(Locale.ROOT, "SSIM %.4f%n", ssimSum / n);
        if (lpips != null) o.printf(Locale.ROOT, "LPIPS %.4f (VGG16, lpips v0.1; mean over %d images)%n", lpipsSum / n, n);
        if (net != null) {
            double fd = FrechetDistance.between(GaussianStats.of(new Features(net.name(), n, d, fIn)), GaussianStats.of(new Features(net.name(), n, d, fOut)));
            o.printf(Locale.ROOT, "FD %.4f (%s, inputs vs reconstructions)%n", fd, net.name());
        } else if (fdNote != null) o.println("note: " + fdNote);
        if (out != null && first != null) {
            int k = Math.min(32, first.n());
            Reconstructions.of(ae, AutoencoderData.range(ds, 0, k).to(dev)).writePairs(out);
            o.println("grid: " + out.toAbsolutePath() + " (input, reconstruction pairs)");
        }
        o.flush();
        return 0;
    }

    /** LPIPS from the options' files, else from those the run trained with; null (with a note when the run's files cannot be used) otherwise. */
    private Lpips lpips(OptionChecks c, AutoencoderRun run, ImageDataset ds, Device dev, PrintWriter o) {
        c.require((vggWeights == null) == (lpipsWeights == null), "LPIPS needs both --vgg-weights and --lpips-weights");
        if (vggWeights != null) {
            c.require(java.nio.file.Files.isRegularFile(vggWeights), "--vgg-weights: no such file: " + vggWeights);
            c.require(java.nio.file.Files.isRegularFile(lpipsWeights), "--lpips-weights: no such file: " + lpipsWeights);
            try {
                Lpips.checkSize(ds.channels(), ds.height(), ds.width());
            } catch (IllegalArgumentException e) {
                throw c.fail(e.getMessage());
            }
            return Lpips.load(vggWeights, lpipsWeights, dev);
        }
        PerceptualLossConfig trained = run.config().loss().perceptual();
        if (!trained.on()) return null;
        Path v = Path.of(trained.vggWeights()), l = Path.of(trained.lpipsWeights());
        if (!java.nio.file.Files.isRegularFile(v) || !java.nio.file.Files.isRegularFile(l)) {
            o.println("note: LPIPS left out: the run's weight files " + v + " / " + l + " are gone; give --vgg-weights and --lpips-weights");
            return null;
        }
        try {
            Lpips.checkSize(ds.channels(), ds.height(), ds.width());
        } catch (IllegalArgumentException e) {
            o.println("note: LPIPS left out: " + e.getMessage());
            return null;
        }
        return Lpips.load(v, l, dev);
    }

    private static void copy(float[] src, double[] dst, int off) {
        for (int i = 0; i < src.length; i++) dst[off + i] = src[i];
    }
}
