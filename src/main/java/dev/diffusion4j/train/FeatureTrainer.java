package dev.diffusion4j.train;

import dev.diffusion4j.data.Batch;
import dev.diffusion4j.data.DataLoader;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.FeatureClassifier;
import dev.diffusion4j.nn.optim.AdamConfig;
import dev.diffusion4j.nn.optim.AdamW;
import dev.diffusion4j.nn.optim.CosineLr;
import dev.diffusion4j.nn.optim.LrSchedule;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Trains the feature classifier of a {@link FeatureRun} with cross-entropy (AdamW, cosine decay, random flips), logs
 * loss and batch accuracy to metrics.jsonl, measures held-out accuracy and writes model.safetensors at the end.
 */
public final class FeatureTrainer {
    public static final int LOG_EVERY = 50;

    public record Result(double trainAccuracy, double heldOutAccuracy, int heldOutCount) {}

    private final FeatureRun run;
    private final FeatureRunConfig cfg;
    private final Device device;

    public FeatureTrainer(FeatureRun run, Device device) {
        this.run = run;
        this.cfg = run.config();
        this.device = device;
    }

    /**
     * @param train    labelled training images (in the classifier's channels and size)
     * @param heldOut  labelled images to measure accuracy on, or null
     * @param onStep   called after every step with the step number
     * @param onLog    called with every metrics row
     */
    public Result train(ImageDataset train, ImageDataset heldOut, int heldOutCount, Consumer<Long> onStep, Consumer<Map<String, Object>> onLog) {
        FeatureClassifier model = new FeatureClassifier(cfg.model(), new Generator(cfg.seed()));
        model.to(device);
        model.train();
        AdamW opt = new AdamW(model.parameters(), AdamConfig.adamWDefaults().withLr(cfg.lr()).withWeightDecay(1e-4));
        LrSchedule lr = new CosineLr(cfg.lr(), Math.min(100, cfg.steps() / 10), cfg.steps(), cfg.lr() * 0.01);
        double windowLoss = 0, windowAcc = 0, lastAcc = 0;
        int window = 0;
        try (DataLoader loader = DataLoader.builder(train, cfg.batchSize()).seed(cfg.seed()).flip(true).build();
             MetricsLog log = new MetricsLog(run.metricsFile())) {
            for (long step = 1; step <= cfg.steps(); step++) {
                Batch b = loader.next();
                Tensor x = Tensor.of(b.images(), b.n(), b.c(), b.h(), b.w()).to(device);
                Tensor y = Tensor.ofLongs(labels(b), b.n()).to(device);
                Tensor logits = model.forward(x);
                Tensor loss = F.crossEntropy(logits, y);
                opt.zeroGrad();
                loss.backward();
                opt.setLr(lr.lr(step - 1));
                opt.step();
                double lv = loss.item();
                if (!Double.isFinite(lv))
                    throw new TrainingDivergedException("the classifier's loss became " + lv + " at step " + step + "; try a lower --lr");
                windowLoss += lv;
                windowAcc += accuracy(logits, b.labels(), b.n());
                window++;
                onStep.accept(step);
                if (step % LOG_EVERY == 0 || step == cfg.steps()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("step", step);
                    row.put("loss_avg", windowLoss / window);
                    row.put("train_accuracy", windowAcc / window);
                    row.put("lr", lr.lr(step - 1));
                    lastAcc = windowAcc / window;
                    log.append(row);
                    onLog.accept(row);
                    windowLoss = 0; windowAcc = 0; window = 0;
                }
            }
            model.eval();
            double held = Double.NaN;
            int n = 0;
            if (heldOut != null) {
                n = heldOutCount <= 0 ? heldOut.size() : Math.min(heldOutCount, heldOut.size());
                held = heldOutAccuracy(model, heldOut, n);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("step", cfg.steps());
                row.put("held_out_accuracy", held);
                row.put("held_out_count", n);
                log.append(row);
                onLog.accept(row);
            }
            run.saveModel(model, new TreeMap<>(Map.of("format", FeatureRunConfig.FORMAT, "steps", Long.toString(cfg.steps()))));
            return new Result(lastAcc, held, n);
        }
    }

    private int[] checkedLabels(Batch b) {
        int k = cfg.model().numClasses();
        for (int i = 0; i < b.n(); i++)
            if (b.labels()[i] < 0 || b.labels()[i] >= k)
                throw new IllegalArgumentException("label " + b.labels()[i] + " outside the classifier's " + k + " classes; train-features needs labelled data");
        return b.labels();
    }

    private long[] labels(Batch b) {
        int[] l = checkedLabels(b);
        long[] out = new long[b.n()];
        for (int i = 0; i < out.length; i++) out[i] = l[i];
        return out;
    }

    private double heldOutAccuracy(FeatureClassifier model, ImageDataset ds, int n) {
        int correct = 0;
        try (var g = GradMode.off();
             DataLoader loader = DataLoader.builder(ds, 256).shuffle(false).dropLast(false).flip(false).epochs(1).build()) {
            int done = 0;
            while (done < n && loader.hasNext()) {
                Batch b = loader.next();
                int take = Math.min(b.n(), n - done);
                Tensor logits = model.forward(Tensor.of(b.images(), b.n(), b.c(), b.h(), b.w()).to(device));
                correct += (int) Math.round(accuracy(logits, b.labels(), take) * take);
                done += take;
            }
            return (double) correct / Math.max(1, done);
        }
    }

    /** Share of the first n rows whose largest logit is the label. */
    static double accuracy(Tensor logits, int[] labels, int n) {
        float[] l = logits.detach().to(Device.CPU).contiguous().toFloatArray();
        int k = logits.shape(1), correct = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < k; c++) if (l[i * k + c] > l[i * k + best]) best = c;
            if (best == labels[i]) correct++;
        }
        return (double) correct / n;
    }
}
