package dev.diffusion4j.train;

import dev.diffusion4j.data.Batch;
import dev.diffusion4j.data.DataLoader;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.NoisyClassifier;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.nn.optim.AdamConfig;
import dev.diffusion4j.nn.optim.AdamW;
import dev.diffusion4j.nn.optim.CosineLr;
import dev.diffusion4j.nn.optim.LrSchedule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Trains the noisy classifier of a {@link ClassifierRun}: each step noises a labelled batch by the forward process of
 * the run's schedule at uniform random timesteps and minimises cross-entropy (AdamW, cosine decay). It writes
 * metrics.jsonl and checkpoints with the diffusion trainer's machinery ({@link Checkpoints}, {@link MetricsLog},
 * {@link TrainState}), so a resumed run continues exactly, and ends with the accuracy by noise level.
 */
public final class ClassifierTrainer {
    public interface Listener {
        default void onStart(long startStep, long totalSteps) {}
        default void onStep(long step, double loss) {}
        default void onLog(Map<String, Object> row) {}
    }

    public record Result(long steps, double lastLoss, Path lastCheckpoint, NoiseLevelAccuracy accuracy) {}

    /** Held-out images the final accuracy by noise level is measured on, at most. */
    public static final int EVAL_IMAGES = 1000;

    private final ClassifierRun run;
    private final ClassifierRunConfig cfg;
    private final Device device;
    private final NoisyClassifier model;
    private final GaussianDiffusion diffusion;
    private final AdamW optimizer;
    private final Generator gen;

    public ClassifierTrainer(ClassifierRun run, ClassifierRunConfig cfg) {
        this.run = run;
        this.cfg = cfg;
        this.device = Device.parse(cfg.device());
        this.model = new NoisyClassifier(cfg.model(), new Generator(cfg.seed()).fork(1));
        model.to(device);
        this.diffusion = cfg.diffusion().build();
        this.optimizer = new AdamW(model.parameters(), AdamConfig.adamWDefaults().withLr(cfg.lr()).withWeightDecay(cfg.weightDecay()));
        this.gen = new Generator(cfg.seed()).fork(2);
    }

    public NoisyClassifier model() { return model; }

    /** Trains from step 0, or with {@code resume} from the latest checkpoint, up to the config's steps; measures {@code heldOut} at the end. */
    public Result train(ImageDataset data, ImageDataset heldOut, boolean resume, Listener listener) {
        long step = 0, imagesSeen = 0, epoch = 0;
        int position = 0;
        double seconds = 0;
        Path lastCheckpoint = null;
        var latest = resume ? run.checkpoints().latest() : java.util.Optional.<Checkpoints.Entry>empty();
        if (latest.isPresent()) {
            TrainState st = restore(latest.get().dir());
            step = st.step(); imagesSeen = st.imagesSeen(); seconds = st.trainSeconds(); epoch = st.loaderEpoch(); position = st.loaderPosition();
            lastCheckpoint = latest.get().dir();
        }
        new MetricsLog(run.metricsFile()).rewindTo(step);
        LrSchedule lr = new CosineLr(cfg.lr(), (int) Math.min(100, cfg.steps() / 10), cfg.steps(), 0);
        listener.onStart(step, cfg.steps());
        double lastLoss = Double.NaN, windowLoss = 0, windowAcc = 0;
        int window = 0;
        try (DataLoader loader = DataLoader.builder(data, cfg.batchSize()).seed(cfg.seed()).flip(cfg.flip()).startAt(epoch, position).build();
             MetricsLog log = new MetricsLog(run.metricsFile())) {
            model.train();
            while (step < cfg.steps()) {
                long t0 = System.nanoTime();
                Batch b = loader.next();
                Tensor x0 = Tensor.of(b.images(), b.n(), b.c(), b.h(), b.w()).to(device);
                Tensor y = Tensor.ofLongs(labels(b), b.n()).to(device);
                Tensor t = Tensor.randint(gen, 0, diffusion.steps(), device, b.n());
                Tensor xt = diffusion.qSample(x0, t, x0.randnLike(gen));
                Tensor logits = model.logits(xt, t);
                Tensor loss = F.crossEntropy(logits, y);
                double lv = loss.item();
                if (!Double.isFinite(lv))
                    throw new TrainingDivergedException("the classifier's loss became " + lv + " at step " + (step + 1) + "; training stopped. "
                            + (lastCheckpoint == null ? "" : "The last good checkpoint is " + lastCheckpoint + " (continue with --resume). ") + "Try a lower --lr.");
                optimizer.zeroGrad();
                loss.backward();
                optimizer.setLr(lr.lr(step));
                optimizer.step();
                step++;
                imagesSeen += b.n();
                seconds += (System.nanoTime() - t0) / 1e9;
                lastLoss = lv;
                windowLoss += lv;
                windowAcc += (double) correct(logits, b.labels(), b.n()) / b.n();
                window++;
                listener.onStep(step, lv);
                if (step % cfg.logEvery() == 0 || step == cfg.steps()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("step", step);
                    row.put("loss", lv);
                    row.put("loss_avg", windowLoss / window);
                    row.put("train_accuracy", windowAcc / window);
                    row.put("lr", lr.lr(step - 1));
                    row.put("images_seen", imagesSeen);
                    log.append(row);
                    listener.onLog(row);
                    windowLoss = 0; windowAcc = 0; window = 0;
                }
                if (step % cfg.checkpointEvery() == 0 || step == cfg.steps())
                    lastCheckpoint = save(new TrainState(step, gen.offset(), Map.of(), loader.epoch(), loader.position(), imagesSeen, seconds));
            }
            model.eval();
            NoiseLevelAccuracy acc = NoiseLevelAccuracy.measure(model, diffusion, heldOut, EVAL_IMAGES, Math.max(64, cfg.batchSize()), device, cfg.seed());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("step", step);
            row.putAll(acc.toRow());
            log.append(row);
            listener.onLog(row);
            return new Result(step, lastLoss, lastCheckpoint, acc);
        }
    }

    private long[] labels(Batch b) {
        int k = cfg.model().numClasses();
        long[] out = new long[b.n()];
        for (int i = 0; i < b.n(); i++) {
            int y = b.labels()[i];
            if (y < 0 || y >= k) throw new IllegalArgumentException("label " + y + " outside the classifier's " + k + " classes; train-classifier needs labelled data");
            out[i] = y;
        }
        return out;
    }

    /** How many of the first n rows have their largest logit at the label. */
    static int correct(Tensor logits, int[] labels, int n) {
        float[] l = logits.detach().to(Device.CPU).contiguous().toFloatArray();
        int k = logits.shape(1), c = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) if (l[i * k + j] > l[i * k + best]) best = j;
            if (best == labels[i]) c++;
        }
        return c;
    }

    private Path save(TrainState st) {
        Map<String, String> meta = new TreeMap<>(Map.of("step", Long.toString(st.step()), "format", ClassifierRunConfig.FORMAT));
        try {
            return run.checkpoints().write(st.step(), cfg.keepCheckpoints(), dir -> {
                StateDicts.saveModel(dir.resolve("model.safetensors"), model, meta);
                StateDicts.save(dir.resolve("optimizer.safetensors"), optimizer.stateDict(), meta);
                AtomicFiles.writeString(dir.resolve("state.json"), Json.writePretty(st.toJson()) + "\n");
            }).dir();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint for step " + st.step() + " under " + run.root() + ": " + e.getMessage(), e);
        }
    }

    private TrainState restore(Path dir) {
        try {
            StateDicts.loadModel(dir.resolve("model.safetensors"), model, true);
            optimizer.loadStateDict(StateDicts.floatsTo(device, StateDicts.load(dir.resolve("optimizer.safetensors"))));
            TrainState st = TrainState.read(dir.resolve("state.json"));
            gen.setOffset(st.generatorOffset());
            return st;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resume from " + dir + ": " + e.getMessage(), e);
        }
    }
}
