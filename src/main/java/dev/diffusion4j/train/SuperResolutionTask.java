package dev.diffusion4j.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.pipelines.SuperResolution;
import dev.diffusion4j.pipelines.SuperResolutionStage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What makes a run a super-resolution stage of a cascade (Ho et al. 2021), kept in the run folder as
 * super-resolution.json beside config.json: the dataset's images are the high-resolution targets, their area
 * downsampling to {@code lowRes} the input; in training the input is noised at a level drawn uniformly from
 * [0, maxAugLevel] (non-truncated conditioning augmentation), and sampling uses {@code sampleAugLevel}.
 *
 * @param lowRes         side of the low-resolution input (divides the model's resolution)
 * @param maxAugLevel    largest augmentation level in training, in [0, 1] (see {@link SuperResolution#augmentationAlphaBar})
 * @param sampleAugLevel augmentation level of grids and of {@code diffuse upscale} / {@code sample --upscale} by default
 */
public record SuperResolutionTask(int lowRes, @JsonProperty(defaultValue = "0.5") double maxAugLevel,
                                  @JsonProperty(defaultValue = "0.1") double sampleAugLevel) {
    public static final String FILE = "super-resolution.json";
    /** Folder of low-resolution example inputs in a super-resolution run. */
    public static final String EXAMPLES = "low-res-examples";
    public static final double DEFAULT_MAX_AUG = 0.5, DEFAULT_SAMPLE_AUG = 0.1;
    /** Low-resolution / output / target triples shown in a training grid. */
    static final int GRID_EXAMPLES = 8;

    public SuperResolutionTask {
        if (lowRes < 1) throw new IllegalArgumentException("low resolution must be >= 1, got " + lowRes);
        if (!(maxAugLevel >= 0 && maxAugLevel <= 1) || !(sampleAugLevel >= 0 && sampleAugLevel <= 1))
            throw new IllegalArgumentException("augmentation levels must be in [0, 1], got " + maxAugLevel + " and " + sampleAugLevel);
    }

    /** Refuses a model this task cannot train: it must be a U-Net with a low-resolution input, at a multiple of lowRes. */
    public void check(ModelConfig m) {
        if (!(m instanceof UNetConfig u) || u.lowResChannels() != u.inChannels())
            throw new IllegalArgumentException("super-resolution needs a U-Net that reads the low-resolution image (low_res_channels = in_channels)");
        if (lowRes >= m.resolution() || m.resolution() % lowRes != 0)
            throw new IllegalArgumentException("--low-res " + lowRes + " must divide the image size " + m.resolution() + " and be smaller than it");
    }

    /** The task of a super-resolution run, or a refusal that says how to make one. */
    public static SuperResolutionTask require(RunDir run) {
        SuperResolutionTask t = of(run);
        if (t == null)
            throw new IllegalArgumentException(run.root() + " is not a super-resolution run; train one with " + Invocation.command()
                    + " train --task super-resolution --low-res 16 --image-size 32 --out " + run.root());
        return t;
    }

    /** The stage a run's checkpoint holds (EMA weights), sampling with {@code sc}'s sampler over the run's own schedule. */
    public SuperResolutionStage stage(RunDir run, Path checkpoint, SampleConfig sc, Device device) {
        UNet m = (UNet) Trainer.loadEmaModel(run, checkpoint, device);
        return new SuperResolutionStage(m, sc.create(run.config().diffusion().build()), lowRes);
    }

    /** The task of a run folder, or null when the run is an ordinary diffusion run. */
    public static SuperResolutionTask of(RunDir run) {
        Path f = run.root().resolve(FILE);
        return Files.isRegularFile(f) ? ConfigJson.read(f, SuperResolutionTask.class) : null;
    }

    /**
     * Records {@code task} in a new run's folder with a few low-resolution versions of the data's first images under
     * {@link #EXAMPLES} (inputs to try {@code diffuse upscale} on); null (a plain diffusion run) removes the file an
     * unfinished earlier run left.
     */
    public static void record(RunDir run, SuperResolutionTask task, ImageDataset data) {
        if (task != null) {
            task.write(run);
            task.writeExamples(run.root().resolve(EXAMPLES), data);
        } else {
            try {
                Files.deleteIfExists(run.root().resolve(FILE));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + run.root().resolve(FILE) + ": " + e.getMessage(), e);
            }
        }
    }

    public void write(RunDir run) {
        try {
            AtomicFiles.writeString(run.root().resolve(FILE), Json.writePretty(ConfigJson.toMap(this)) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + run.root().resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    private void writeExamples(Path dir, ImageDataset data) {
        Tensor low = lowResOf(firstImages(data, GRID_EXAMPLES));
        float[] px = low.toFloatArray();
        int per = low.shape(1) * lowRes * lowRes;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < low.shape(0); i++)
            dev.diffusion4j.data.Pngs.writeImage(dir.resolve(String.format("%02d.png", i)), px, i * per, low.shape(1), lowRes, lowRes);
    }

    private static Tensor firstImages(ImageDataset data, int count) {
        int n = Math.min(count, data.size());
        float[] buf = new float[n * data.imageLength()];
        for (int i = 0; i < n; i++) data.load(i, buf, i * data.imageLength());
        return Tensor.of(buf, n, data.channels(), data.height(), data.width());
    }

    /** The model as the diffusion code calls it in training and sampling. */
    public Denoiser denoiser(DenoisingNetwork model) { return SuperResolutionStage.denoiser((UNet) model); }

    /** The low-resolution input of high-resolution images x0 [N, C, R, R]: area (average) downsampling. */
    public Tensor lowResOf(Tensor x0) { return SuperResolution.downsample(x0, x0.shape(2) / lowRes); }

    /** Training conditioning for a batch of targets: its low-resolution version, upsampled and noised at uniform levels. */
    public Conditioning trainingCondition(Tensor x0, Generator gen) {
        return SuperResolution.trainingCondition(lowResOf(x0), x0.shape(2), x0.shape(3), maxAugLevel, gen);
    }

    /**
     * A grid with one row per example: the low-resolution input (enlarged, nearest), the stage's output, the original;
     * the examples are the dataset's first images, so grids over training compare.
     */
    Tensor gridImages(DenoisingNetwork model, GaussianDiffusion diffusion, SampleConfig sc, ImageDataset data, Device device) {
        Tensor hi = firstImages(data, Math.min(sc.count(), GRID_EXAMPLES)).to(device);
        Tensor low = lowResOf(hi);
        Tensor out = new SuperResolutionStage((UNet) model, sc.create(diffusion), lowRes).upscale(low, sampleAugLevel, new Generator(sc.seed()), null);
        return sideBySide(GRID_EXAMPLES, low, out, hi);
    }

    /**
     * Up to {@code rows} examples, one per row, each shown in every version side by side (smaller versions enlarged to
     * the largest by nearest neighbour), as one row-major batch on the CPU for a grid of {@code versions.length} columns.
     */
    public static Tensor sideBySide(int rows, Tensor... versions) {
        int n = Math.min(rows, versions[0].shape(0)), r = 0;
        for (Tensor v : versions) r = Math.max(r, v.shape(2));
        Tensor[] cells = new Tensor[n * versions.length];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < versions.length; k++) {
                Tensor cell = versions[k].slice(0, i, i + 1).to(Device.CPU);
                cells[i * versions.length + k] = cell.shape(2) == r ? cell : F.upsampleNearest(cell, r / cell.shape(2));
            }
        return Tensor.cat(0, cells);
    }
}
