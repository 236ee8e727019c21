package dev.diffusion4j.cli;

import dev.diffusion4j.data.ImageFiles;
import dev.diffusion4j.data.Pngs;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.SampleImages;
import dev.diffusion4j.train.SuperResolutionTask;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffuse upscale}: run image files through one or more trained super-resolution stages. */
@Command(name = "upscale", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Upscale image files with a super-resolution run (diffuse train --task super-resolution). Each image is center-cropped to a",
                "square and brought to the stage's low resolution (area downsampling; bilinear when the size is not a multiple), then",
                "sampled at the stage's output size. Writes one PNG per input and a comparison grid (input | output per row)."},
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} upscale --run runs/sr16-32 --input runs/sr16-32/low-res-examples",
                "  ${sys:diffuse.command:-diffuse} upscale --run runs/sr16-32 --run runs/sr32-64 --input photo.png --out big/ --aug-level 0.2"})
public final class UpscaleCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--run", paramLabel = "DIR", required = true,
            description = "Super-resolution run folder; repeat to chain stages (each stage's low resolution = the previous one's output size).")
    List<Path> runs;

    @Option(names = "--input", paramLabel = "IMG|DIR", required = true, description = "An image file (PNG, JPEG, BMP, GIF, TIFF, WebP) or a folder of them (not recursive; hidden files are left out).")
    Path input;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder. Default: <first run>/upscaled.")
    Path out;

    @Option(names = "--aug-level", paramLabel = "L",
            description = "Noise-augmentation level of the low-resolution input in [0, 1] (0 trusts it exactly; higher lets the stage repair it). "
                    + "Default: each run's (" + SuperResolutionTask.DEFAULT_SAMPLE_AUG + ").")
    Double augLevel;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "16", description = "Images upscaled at once. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of the sampling noise. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto. Default: ${DEFAULT-VALUE}.")
    String device;

    static final int MAX_INPUTS = 100_000;

    @Override public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        OptionChecks c = new OptionChecks(spec);
        c.between("--batch-size", batchSize, 1, TrainCommand.MAX_BATCH);
        if (augLevel != null) c.unitInterval("--aug-level", augLevel);
        Path outDir = out != null ? out : runs.get(0).resolve("upscaled");
        c.outputFolder("--out", outDir);
        Device dev = c.device("--device", device);
        List<Path> files = inputFiles(input);
        RunDir first = RunDir.open(runs.get(0));
        SuperResolutionTask task = SuperResolutionTask.require(first);
        int channels = first.config().model().inChannels(), low = task.lowRes();
        UpscaleChain chain = UpscaleChain.open(runs, "the inputs (brought to " + low + "x" + low + ")", channels, low, augLevel, dev);
        List<Tensor> images = new ArrayList<>();
        int resized = 0;
        for (Path f : files) {
            Pngs.Image im = Pngs.read(f, channels);
            if (im.h() != low || im.w() != low) resized++;
            images.add(toLowRes(Tensor.of(im.data(), 1, im.c(), im.h(), im.w()), low));
        }
        int hi = chain.outputSize(low);
        o.printf(Locale.ROOT, "upscaling %d image(s) %dx%d -> %dx%d through %d stage(s) on %s%s%n", files.size(), low, low, hi, hi,
                chain.stages().size(), dev, resized > 0 ? "; " + resized + " resized to " + low + "x" + low + " first" : "");
        o.flush();
        Tensor batch = Tensor.cat(0, images.toArray(new Tensor[0]));
        List<Tensor> outs;
        try (ProgressBar bar = new ProgressBar(System.out, "upscale", chain.totalSteps(files.size(), batchSize), "step")) {
            outs = chain.run(batch, batchSize, seed, dev, () -> bar.step(1));
        }
        Tensor result = outs.get(outs.size() - 1);
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + outDir + ": " + e.getMessage(), e);
        }
        float[] px = result.toFloatArray();
        int per = channels * hi * hi;
        for (int i = 0; i < files.size(); i++) {
            String name = EditOutputs.stem(files.get(i));
            Pngs.writeImage(outDir.resolve(name + "-" + hi + ".png"), px, i * per, channels, hi, hi);
        }
        Path grid = outDir.resolve("comparison.png");
        Tensor cells = SuperResolutionTask.sideBySide(files.size(), outs.toArray(new Tensor[0]));
        SampleImages.writeGrid(grid, cells, outs.size(), Math.max(1, (64 + hi - 1) / hi));
        o.println("images: " + outDir.toAbsolutePath() + " (" + files.size() + " PNG files, " + hi + "x" + hi + ")");
        o.println("comparison: " + grid.toAbsolutePath() + " (per row: input, then each stage's output)");
        o.flush();
        return 0;
    }

    /** A square [1, C, low, low] version of one image: center crop, then area (average) downsampling, or bilinear for other sizes. */
    static Tensor toLowRes(Tensor img, int low) {
        int h = img.shape(2), w = img.shape(3), s = Math.min(h, w);
        Tensor sq = img.slice(2, (h - s) / 2, (h - s) / 2 + s).slice(3, (w - s) / 2, (w - s) / 2 + s);
        if (s == low) return sq.contiguous();
        if (s > low && s % low == 0) return F.avgPool2d(sq.contiguous(), s / low, s / low);
        return F.upsampleBilinear(sq.contiguous(), low, low);
    }

    /** The images to upscale: the file, or the folder's visible image files in name order; refuses names whose outputs would collide. */
    static List<Path> inputFiles(Path input) {
        if (Files.isRegularFile(input)) return List.of(input);
        if (!Files.isDirectory(input)) throw new IllegalArgumentException("--input " + input + " does not exist; give an image file or a folder of images");
        try (Stream<Path> s = Files.list(input)) {
            List<Path> files = s.filter(Files::isRegularFile).filter(ImageFiles::isImage).sorted().toList();
            if (files.isEmpty()) throw new IllegalArgumentException("--input " + input + " holds no image files (" + ImageFiles.extensions() + ")");
            if (files.size() > MAX_INPUTS) throw new IllegalArgumentException("--input " + input + " holds " + files.size() + " images; upscale at most " + MAX_INPUTS + " at a time");
            Map<String, Path> stems = new HashMap<>();
            for (Path f : files) {
                Path before = stems.put(EditOutputs.stem(f), f);
                if (before != null) throw new IllegalArgumentException("two input images share the name '" + EditOutputs.stem(f) + "' ("
                        + before.getFileName() + ", " + f.getFileName() + "), so their results would overwrite each other; rename one");
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + input + ": " + e.getMessage(), e);
        }
    }
}
