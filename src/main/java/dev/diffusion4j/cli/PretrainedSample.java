package dev.diffusion4j.cli;

import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.pipelines.DiffusionPipeline;
import dev.diffusion4j.pipelines.PretrainedPipeline;
import dev.diffusion4j.train.SampleImages;
import dev.diffusion4j.train.Sampling;
import dev.diffusion4j.train.TextConditioning;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** {@code diffuse sample --pretrained DIR}: a diffusers pipeline folder sampled with the options of {@link SampleCommand}. */
final class PretrainedSample {
    private PretrainedSample() {}

    /** The sample options that belong to training runs only, refused with --pretrained before anything is read. */
    static void checkOptions(SampleCommand c, OptionChecks checks) {
        var pr = c.spec.commandLine().getParseResult();
        for (String o : List.of("--run", "--checkpoint", "--sampler", "--no-clip", "--strip", "--upscale", "--classifier", "--classifier-scale", "--aug-level"))
            checks.require(!pr.hasMatchedOption(o), o + " applies to training runs, not to --pretrained (the folder's scheduler_config.json "
                    + "chooses the sampler; --steps sets its number of steps)");
    }

    static int run(SampleCommand c, Device dev, PrintWriter out) throws Exception {
        Path dir = c.pretrained;
        String kind = PretrainedPipeline.readIndex(dir).className();   // checked before any weights are read
        boolean text = kind.equals(PretrainedPipeline.STABLE_DIFFUSION);
        if (text && c.prompts == null) throw new IllegalArgumentException(dir + " is a " + kind + ": say what to draw with --prompt \"...\"");
        if (!text && (c.prompts != null || c.negativePrompt != null))
            throw new IllegalArgumentException("--prompt needs a text-to-image pipeline; " + dir + " is a " + kind);
        out.println("loading " + dir + " ...");
        out.flush();
        PretrainedPipeline p = PretrainedPipeline.load(dir, dev);
        long[] labels = labels(c, p);
        boolean classRows = labels != null && (c.label == null || "all".equalsIgnoreCase(c.label));
        int total = labels != null ? labels.length : c.count;
        int steps = c.steps != null ? c.steps : p.defaultSteps();
        double guidance = c.guidance != null ? c.guidance : p.defaultGuidance();
        if (guidance != 1 && labels != null && labels[0] == p.numClasses())
            throw new IllegalArgumentException("--guidance " + guidance + " with --class none: guidance steers towards a class; leave --guidance out (or 1)");
        if (guidance != 1 && !p.guidable())
            throw new IllegalArgumentException("--guidance " + guidance + ": " + p.whyNotGuidable() + "; leave --guidance out (or 1)");
        Sampler sampler = p.sampler(steps, c.eta);
        out.printf(Locale.ROOT, "sampling %d images from %s (%s, %d x %d) with its %s, %d steps, %s, on %s%n", total, dir, p.className(),
                p.imageSize(), p.imageSize(), p.scheduler().className(), sampler.steps(),
                p.takesPrompts() ? "prompts " + c.prompts + ", guidance " + guidance
                        : labels != null ? describe(labels, classRows, p.numClasses()) + ", guidance " + guidance : "unconditional", dev);
        out.flush();
        List<Tensor> parts = new ArrayList<>();
        int batches = (total + c.batchSize - 1) / c.batchSize;
        try (ProgressBar bar = new ProgressBar(System.out, "sample", (long) batches * sampler.steps(), "step");
             var ac = c.mathMode.autocast()) {
            for (int b = 0; b < batches; b++) {
                int from = b * c.batchSize, n = Math.min(c.batchSize, total - from);
                List<String> prompts = p.takesPrompts() ? TextConditioning.spread(c.prompts, from, n, total) : null;
                long[] l = labels == null ? null : Arrays.copyOfRange(labels, from, from + n);
                parts.add(p.sample(sampler, n, prompts, c.negativePrompt, l, guidance, c.seed + b, s -> bar.step(1)));
            }
        }
        Tensor all = Tensor.cat(0, parts.toArray(new Tensor[0]));
        Path grid = c.grid != null ? c.grid : Path.of(dir.toAbsolutePath().normalize().getFileName() + "-sample-" + c.seed + ".png");
        int size = all.shape(2);
        int scale = c.gridScale != null && c.gridScale > 0 ? c.gridScale : Math.max(1, (64 + size - 1) / size);
        int nrow = p.takesPrompts() && c.prompts.size() > 1 ? Math.max(1, total / c.prompts.size())
                : classRows ? Sampling.perClass(p.numClasses(), total) : (int) Math.ceil(Math.sqrt(total));
        SampleImages.writeGrid(grid, all, nrow, scale);
        out.println("grid: " + grid.toAbsolutePath());
        if (c.imagesDir != null) {
            DiffusionPipeline.writeImages(c.imagesDir, all);
            out.println("images: " + c.imagesDir.toAbsolutePath() + " (" + all.shape(0) + " PNG files)");
        }
        out.flush();
        return 0;
    }

    /** --class against the pipeline: class-conditional pipelines draw --class K, or by default every class in turn (Sampling.classCycle). */
    private static long[] labels(SampleCommand c, PretrainedPipeline p) {
        int k = p.takesPrompts() ? 0 : p.numClasses();
        if (k == 0) {
            if (c.label != null) throw new IllegalArgumentException("--class needs a class-conditional pipeline; " + p.folder() + " is a " + p.className());
            return null;
        }
        if (c.label == null || "all".equalsIgnoreCase(c.label)) return Sampling.classCycle(k, c.count);
        if ("none".equalsIgnoreCase(c.label)) {
            // the table's "no class" row (label k): DiT's, or the one a diffuse export marks
            if (!p.guidable())
                throw new IllegalArgumentException("--class none: " + p.whyNotGuidable() + "; give a class for each image");
            long[] none = new long[c.count];
            Arrays.fill(none, k);
            return none;
        }
        int label;
        try {
            label = Integer.parseInt(c.label.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--class takes a class number or 'all', not '" + c.label + "'");
        }
        if (label < 0 || label >= k) throw new IllegalArgumentException("--class must be in [0, " + k + "), got " + label);
        long[] l = new long[c.count];
        Arrays.fill(l, label);
        return l;
    }

    /** Every class drawn (one grid row each, as diffuse sample --run lays them out), or the one --class. */
    private static String describe(long[] labels, boolean classRows, int classes) {
        if (labels[0] == classes) return "no class (unconditional)";
        return classRows ? "classes 0.." + Arrays.stream(labels).max().orElse(0) + ", one row per class" : "class " + labels[0];
    }
}
