package dev.diffusion4j.train;

import dev.diffusion4j.data.Batch;
import dev.diffusion4j.data.DataLoader;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.NoisyClassifier;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A noisy classifier's accuracy by noise level: the timesteps 0 .. T-1 cut into equal buckets, each image of a set
 * noised by the forward process at a timestep drawn uniformly inside each bucket. Accuracy falls towards chance as t
 * grows; how far it holds up says how much guidance the classifier can give late in sampling.
 *
 * @param from      first timestep of each bucket
 * @param to        last timestep of each bucket (inclusive)
 * @param accuracy  share classified correctly in each bucket
 * @param count     images per bucket
 */
public record NoiseLevelAccuracy(int[] from, int[] to, double[] accuracy, int count) {
    public static final int BUCKETS = 4;

    /** Measures {@code model} on up to {@code limit} images of {@code data} (labels must be in range), seeded by {@code seed}. */
    public static NoiseLevelAccuracy measure(NoisyClassifier model, GaussianDiffusion diffusion, ImageDataset data, int limit, int batch,
                                             Device device, long seed) {
        int T = diffusion.steps(), k = Math.min(BUCKETS, T);
        int[] from = new int[k], to = new int[k];
        for (int b = 0; b < k; b++) {
            from[b] = (int) ((long) T * b / k);
            to[b] = (int) ((long) T * (b + 1) / k) - 1;
        }
        long[] correct = new long[k];
        int seen = 0, n = Math.min(limit, data.size());
        Generator gen = new Generator(seed);
        try (var g = GradMode.off(); DataLoader loader = DataLoader.evaluation(data, batch)) {
            while (seen < n && loader.hasNext()) {
                Batch bt = loader.next();
                int take = Math.min(bt.n(), n - seen);
                Tensor x0 = Tensor.of(bt.images(), bt.n(), bt.c(), bt.h(), bt.w()).slice(0, 0, take).contiguous().to(device);
                for (int b = 0; b < k; b++) {
                    Tensor t = Tensor.randint(gen, from[b], to[b] + 1, device, take);
                    Tensor xt = diffusion.qSample(x0, t, x0.randnLike(gen));
                    correct[b] += ClassifierTrainer.correct(model.logits(xt, t), bt.labels(), take);
                }
                seen += take;
            }
        }
        double[] acc = new double[k];
        for (int b = 0; b < k; b++) acc[b] = seen == 0 ? Double.NaN : (double) correct[b] / seen;
        return new NoiseLevelAccuracy(from, to, acc, seen);
    }

    /** Metrics keys: accuracy_t0-249 and so on. */
    public Map<String, Object> toRow() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int b = 0; b < accuracy.length; b++) m.put("accuracy_t" + from[b] + "-" + to[b], accuracy[b]);
        m.put("accuracy_count", count);
        return m;
    }

    /** One line per bucket, for the terminal. */
    public String table() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "accuracy by noise level (%d held-out images per bucket):%n", count));
        for (int b = 0; b < accuracy.length; b++)
            sb.append(String.format(Locale.ROOT, "  t %4d-%-4d  %.4f%n", from[b], to[b], accuracy[b]));
        return sb.toString();
    }
}
