package dev.diffusion4j.train;

import dev.diffusion4j.data.Batch;
import dev.diffusion4j.data.DataLoader;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.GraphedDenoiser;
import dev.diffusion4j.diffusion.LossConfig;
import dev.diffusion4j.diffusion.LossSecondMomentSampler;
import dev.diffusion4j.diffusion.TimestepSampler;
import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.Autocast;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GraphedFunction;
import dev.diffusion4j.engine.MemoryUsage;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.nn.Ema;
import dev.diffusion4j.nn.Parameter;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.nn.optim.AdamW;
import dev.diffusion4j.nn.optim.GradClip;
import dev.diffusion4j.nn.optim.LrSchedule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trains a U-Net or DiT with a diffusion objective on an image dataset: AdamW with warmup, gradient clipping and
 * accumulation, EMA weights, periodic checkpoints, EMA sample grids, a metrics log and an HTML report.
 * Every random draw comes from seeded Philox streams whose positions are checkpointed, so a resumed run
 * continues exactly as an uninterrupted one would.
 */
public final class Trainer {
    /** What the trainer tells its caller (progress bars, tests). */
    public interface Listener {
        default void onStart(long startStep, long totalSteps) {}
        default void onStep(long step, double loss) {}
        default void onLog(Map<String, Object> row) {}
        default void onGrid(long step, Path png) {}
        default void onCheckpoint(long step, Path dir) {}
        /** Something the user should know that does not stop training (e.g. damaged metrics lines set aside). */
        default void onNote(String message) {}
    }

    public record Result(long steps, double lastLoss, Path lastCheckpoint, Path lastGrid) {}

    /** Periodic evaluation of the EMA model (e.g. sample quality); its keys are logged with the step into metrics.jsonl. */
    public interface Evaluation {
        Map<String, Object> evaluate(long step, NetworkDenoiser emaModel, GaussianDiffusion diffusion);
    }

    private final RunDir run;
    private final TrainConfig cfg;
    private final ImageDataset data;
    private final Device device;
    private final DenoisingNetwork model;
    private final NetworkDenoiser denoiser;
    private final SuperResolutionTask superRes;     // null: an ordinary diffusion run
    private final TextConditioning text;            // null: a run without a text encoder
    private final java.util.List<dev.diffusion4j.nn.Parameter> trainable;
    private final GaussianDiffusion diffusion;
    private final LossConfig loss;
    private final TimestepSampler timesteps;
    private final AdamW optimizer;
    private final Ema ema;
    private final Generator gen;
    private final RandomStreams streams;
    private Evaluation evaluation;
    private int evalEvery;
    private java.util.function.UnaryOperator<Tensor> toPixels = java.util.function.UnaryOperator.identity();
    private dev.diffusion4j.train.parallel.DataParallel dp;   // null: a one-rank run

    public Trainer(RunDir run, ImageDataset data) { this(run, run.config(), data); }

    /** A trainer for {@code run} with {@code cfg}, which may differ from the folder's config.json in what a resume may change. */
    public Trainer(RunDir run, TrainConfig cfg, ImageDataset data) {
        this.run = run;
        this.cfg = cfg;
        this.data = data;
        ModelConfigCheck.matches(cfg.model(), data);
        this.device = Device.parse(cfg.device());
        cfg.precision().applyMathMode();
        this.model = cfg.model().build(new Generator(cfg.seed()).fork(1));
        model.to(device);
        this.denoiser = new NetworkDenoiser(model);
        this.superRes = SuperResolutionTask.of(run);
        if (superRes != null) superRes.check(cfg.model());
        this.text = TextConditioning.of(run, cfg, device);
        if (text != null) dev.diffusion4j.data.Captioned.require(data, "this text-to-image run");   // e.g. a resume on data that lost its captions
        if (text != null && cfg.model().contextDim() != text.contextDim())
            throw new IllegalArgumentException("a text-to-image run needs a model with context_dim " + text.contextDim() + " (the text encoder's width)");
        this.trainable = new java.util.ArrayList<>(model.parameters());
        if (text != null) trainable.addAll(text.parameters());   // the text encoder trains with the denoiser
        this.diffusion = cfg.diffusion().build();
        this.loss = cfg.diffusion().lossConfig();
        this.timesteps = cfg.diffusion().newTimestepSampler();
        this.optimizer = new AdamW(trainable, cfg.optim().adam());
        this.ema = new Ema(model, cfg.optim().emaDecay(), cfg.optim().emaWarmup());
        this.gen = new Generator(cfg.seed()).fork(2);
        streams = new RandomStreams(gen, model);
    }

    public DenoisingNetwork model() { return model; }
    public TrainConfig config() { return cfg; }
    public ImageDataset data() { return data; }

    /** Runs {@code e} on the EMA weights every {@code every} steps and at the last step. */
    public void evaluateEvery(int every, Evaluation e) {
        if (every < 1) throw new IllegalArgumentException("evaluation interval must be >= 1, got " + every);
        if (superRes != null) throw new IllegalArgumentException("--eval-every measures generated images; it does not apply to a super-resolution run");
        this.evalEvery = every;
        this.evaluation = e;
    }
    public Ema ema() { return ema; }

    /** Makes this trainer one rank of a data-parallel run (see train.parallel.DataParallelRun); rank 0 alone writes. */
    public void joinDataParallel(dev.diffusion4j.train.parallel.DataParallel rank) {
        if (superRes != null || text != null)
            throw new IllegalArgumentException("several ranks train unconditional and class-conditional diffusion runs; super-resolution and text-to-image runs train on one device for now");
        if (timesteps.learnsFromLosses())
            throw new IllegalArgumentException("a timestep sampler that learns from the losses trains on one device for now; use --timestep-sampler uniform with several ranks");
        this.dp = rank;
    }
    public Device device() { return device; }

    /** Sample grids go through {@code decoder} first (a latent-diffusion run's autoencoder decoder). */
    public void decodeGridsWith(java.util.function.UnaryOperator<Tensor> decoder) { this.toPixels = decoder; }

    /** Where training starts: a fresh run's step 0, or what a checkpoint restored. */
    public record Position(long step, long imagesSeen, double seconds, long loaderEpoch, int loaderPosition, Path checkpoint) {
        public static final Position START = new Position(0, 0, 0, 0, 0, null);
    }

    /** Trains from step 0, or from the latest checkpoint when {@code resume} (then up to the config's step count). */
    public Result train(boolean resume, Listener listener) {
        return train(resume ? restoreLatest() : Position.START, listener);
    }

    /**
     * Loads the latest checkpoint's weights, optimizer, EMA and random streams into this trainer and returns where it
     * left off ({@link Position#START} when the run has none). Writes nothing, so a caller can still refuse to go on.
     */
    public Position restoreLatest() {
        var latest = run.checkpoints().latest();
        if (latest.isEmpty()) return Position.START;
        TrainState st = restore(latest.get().dir());
        return new Position(st.step(), st.imagesSeen(), st.trainSeconds(), st.loaderEpoch(), st.loaderPosition(), latest.get().dir());
    }

    /** The least time between report.html rewrites at logged steps (grids, checkpoints and the end always write it). */
    public static final java.time.Duration REPORT_INTERVAL = java.time.Duration.ofSeconds(30);

    /**
     * Trains from {@code from} up to the config's step count; the metrics log is first rewound to {@code from}'s step.
     * A non-finite loss or gradient norm stops the run with a {@link TrainingDivergedException} naming its step, before
     * anything after that step is saved; since a step's values are read once the next step is queued, the model in
     * memory has by then taken that step's (and possibly the next one's) update: continue from the last checkpoint.
     */
    public Result train(Position from, Listener listener) {
        long step = from.step(), imagesSeen = from.imagesSeen();
        double seconds = from.seconds();
        Path lastCheckpoint = from.checkpoint();
        boolean lead = dp == null || dp.lead();
        int setAside = lead ? new MetricsLog(run.metricsFile()).rewindTo(step) : 0;
        if (setAside > 0)
            listener.onNote(setAside + " line(s) of " + run.metricsFile().getFileName() + " (damaged, or past step " + step
                    + ") moved to " + MetricsLog.setAsideFile(run.metricsFile()));
        LrSchedule lrSchedule = LrPlan.of(cfg.optim(), cfg.steps(), run.history().budgetChanges());
        listener.onStart(step, cfg.steps());
        OptimConfig oc = cfg.optim();
        int n = oc.batchSize();
        LossWindow window = new LossWindow();
        long windowStart = System.nanoTime();
        RunReport.Throttled report = new RunReport.Throttled(run, REPORT_INTERVAL);
        Path lastGrid = null;
        try (DataLoader loader = DataLoader.builder(data, n).seed(cfg.seed()).flip(cfg.flip())
                .startAt(from.loaderEpoch(), from.loaderPosition()).build();
             MetricsLog log = lead ? new MetricsLog(run.metricsFile()) : null;
             // null where a step cannot be graphed; on the CPU it runs eagerly; closing frees a graph's memory
             GraphedFunction stepGraph = graphableStep() ? GraphedFunction.trainingStep("the training step", this::stepWork, () -> Parameter.dataOf(trainable)) : null) {
            model.train();
            if (dp != null) dp.start(trainable);
            // A step's loss and gradient norm stay on the device until the next step has been queued, so a GPU is never
            // left waiting while the host reads them (issue 19); steps that log, sample, evaluate or checkpoint, the last
            // step and every step of a data-parallel run (which reads its loss to all-reduce it) are read at once.
            PendingStep pending = null;
            double stepLoss = Double.NaN, lr = Double.NaN;
            boolean graphNoted = false;
            while (step < cfg.steps()) {
                long t0 = System.nanoTime();
                // [loss, gradient norm], still on the device
                Tensor[] values = stepGraph != null ? graphedStep(stepGraph, loader) : eagerStep(loader, oc);
                Tensor lossSum = values[0], norm = values[1];
                if (stepGraph != null && !graphNoted && stepGraph.replays() > 0) {
                    graphNoted = true;
                    listener.onNote("training steps replay a CUDA graph of " + stepGraph.operations() + " operations (--no-cuda-graphs runs them eagerly)");
                }
                lr = lrSchedule.lr(step);
                optimizer.setLr(lr);
                optimizer.step();
                if (lead) ema.update(model);
                if (text != null) text.updateEma();
                step++;
                imagesSeen += (long) n * oc.gradAccum();
                if (pending != null) window.add(read(pending, lastCheckpoint), listener);   // the previous step, while this one runs
                pending = new PendingStep(step, lossSum, norm);
                boolean boundary = dp != null || step == cfg.steps() || step % cfg.logEvery() == 0 || step % cfg.sampleEvery() == 0
                        || step % cfg.checkpointEvery() == 0 || evaluation != null && step % evalEvery == 0;
                if (boundary) {
                    stepLoss = window.add(read(pending, lastCheckpoint), listener);
                    pending = null;
                }
                seconds += (System.nanoTime() - t0) / 1e9;   // after the reads, so waiting for the device counts
                if (!boundary) continue;
                if (!lead) continue;    // the other ranks of a data-parallel run only train
                if (step % cfg.logEvery() == 0 || step == cfg.steps()) {
                    double dt = (System.nanoTime() - windowStart) / 1e9;
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("step", step);
                    row.put("loss", stepLoss);
                    row.put("loss_avg", window.loss / window.steps);
                    row.put("lr", lr);
                    row.put("grad_norm", window.norm / window.steps);
                    row.put("img_per_s", window.steps * (double) n * oc.gradAccum() / Math.max(dt, 1e-9));
                    row.put("images_seen", imagesSeen);
                    putMemory(row, Backends.memoryUsage(device));
                    listener.onLog(log.append(row));   // the row as written, with its time
                    window.clear();
                    windowStart = System.nanoTime();
                }
                if (step % cfg.sampleEvery() == 0 || step == cfg.steps()) {
                    lastGrid = writeGrid(step);
                    listener.onGrid(step, lastGrid);
                    report.write();
                    windowStart = System.nanoTime();    // sampling time is not training throughput
                }
                if (evaluation != null && (step % evalEvery == 0 || step == cfg.steps())) {
                    Map<String, Object> row = evaluate(step);
                    listener.onLog(log.append(row));   // the row as written, with its time
                    windowStart = System.nanoTime();
                }
                if (step % cfg.checkpointEvery() == 0 || step == cfg.steps()) {
                    lastCheckpoint = save(step, loader, imagesSeen, seconds);
                    listener.onCheckpoint(step, lastCheckpoint);
                    report.write();
                    windowStart = System.nanoTime();
                }
                if (step % cfg.logEvery() == 0) report.maybeWrite();
            }
        }
        if (lead) report.write();
        return new Result(step, window.last, lastCheckpoint, lastGrid);
    }

    /** A step's forward and backward, micro-batch by micro-batch, and the clipping: [loss, gradient norm]. */
    private Tensor[] eagerStep(DataLoader loader, OptimConfig oc) {
        optimizer.zeroGrad();
        Tensor lossSum = null;
        for (int a = 0; a < oc.gradAccum(); a++) {
            Batch b = loader.next();
            Tensor x0 = Tensor.of(b.images(), b.n(), b.c(), b.h(), b.w()).to(device);
            Tensor l;
            try (var ac = cfg.precision().autocast()) {
                Autocast.castParameters(Parameter.dataOf(trainable));   // in a few launches, not one per parameter at its use
                l = dp != null ? dp.shardLoss(diffusion, denoiser, x0, conditioning(b), timesteps, gen, loss)
                        : superRes == null ? diffusion.trainingLoss(denoiser, x0, conditioning(b), timesteps, gen, loss)
                        : diffusion.trainingLoss(superRes.denoiser(model), x0, superRes.trainingCondition(x0, gen), timesteps, gen, loss);
            }
            Tensor part = oc.gradAccum() == 1 ? l : l.div(oc.gradAccum());
            part.backward();
            lossSum = lossSum == null ? part.detach() : lossSum.add(part.detach());
        }
        if (dp != null) lossSum = Tensor.full(dp.syncGradients(lossSum.item()), DType.F64, Device.CPU);
        return new Tensor[] {lossSum, clipGradients()};
    }

    /**
     * A step through {@code graph} ({@link #stepWork}, replayed from a CUDA graph once recorded): the host's draws
     * (labels dropped, timesteps) are made here, in an eager step's order; the rest replays. [loss, gradient norm].
     */
    private Tensor[] graphedStep(GraphedFunction graph, DataLoader loader) {
        Batch b = loader.next();
        Tensor x0 = Tensor.of(b.images(), b.n(), b.c(), b.h(), b.w()).to(device);
        Conditioning c = conditioning(b);
        TimestepSampler.Draw draw = timesteps.sample(b.n(), gen);
        if (!draw.unitWeights()) throw new IllegalStateException("a graphed step needs unit importance weights (a uniform timestep sampler)");
        Tensor t = draw.timesteps(device);
        Tensor values = graph.apply(java.util.Arrays.asList(x0, t, c == null ? null : c.get(NetworkDenoiser.LABEL)));
        return new Tensor[] {values.select(0, 0), values.select(0, 1)};
    }

    /**
     * Whether a step runs as {@link #graphedStep} (on CUDA, replayed from a CUDA graph): one micro-batch on one device,
     * timesteps drawn uniformly (a learning sampler reads its losses back), conditioning that is labels or nothing
     * (a text run encodes its captions, a super-resolution run degrades its images, in the step), and the simple loss
     * on an unrespaced schedule (the variational bound's terms and a respaced model's timesteps are looked up on the host).
     */
    private boolean graphableStep() {
        return dp == null && cfg.optim().gradAccum() == 1 && !timesteps.learnsFromLosses() && text == null && superRes == null
                && loss.objective() == LossConfig.Objective.SIMPLE && !diffusion.isRespaced();
    }

    /**
     * One step's device work up to the optimizer: in = [x0, t, labels or null]; noise and dropout drawn from their
     * generators; returns [loss, gradient norm] in f64. Gradients start from none, so a replay leaves them as an eager
     * step would.
     */
    private Tensor stepWork(java.util.List<Tensor> in) {
        optimizer.zeroGrad();
        Tensor l;
        try (var ac = cfg.precision().autocast()) {
            Autocast.castParameters(Parameter.dataOf(trainable));
            Conditioning c = in.get(2) == null ? null : Conditioning.of(NetworkDenoiser.LABEL, in.get(2));
            l = diffusion.trainingLossAt(denoiser, in.get(0), in.get(1), c, gen, loss);
        }
        l.backward();
        return Tensor.stack(0, l.detach().to(DType.F64), clipGradients().to(DType.F64));
    }

    /** Clips the gradients' global norm where the config asks, and returns the norm before clipping (on the device). */
    private Tensor clipGradients() {
        double clip = cfg.optim().gradClip();
        return clip > 0 ? GradClip.clipGradNormOnDevice(trainable, clip) : GradClip.gradNormOnDevice(trainable);
    }

    /** A queued step whose loss (the accumulated micro-batch losses) and gradient norm are still on the device. */
    private record PendingStep(long step, Tensor loss, Tensor norm) {}

    /** A step's values read back. */
    private record StepValues(long step, double loss, double norm) {}

    /** Reads a queued step's loss and norm (waiting for it to finish); a non-finite one stops the run. */
    private StepValues read(PendingStep p, Path lastCheckpoint) {
        double loss = p.loss().item();
        if (!Double.isFinite(loss)) throw diverged("loss", loss, p.step(), lastCheckpoint);
        double norm = p.norm().item();
        if (!Double.isFinite(norm)) throw diverged("gradient norm", norm, p.step(), lastCheckpoint);
        return new StepValues(p.step(), loss, norm);
    }

    /** The steps read since the last metrics row: their summed loss and norm, and the newest loss. */
    private static final class LossWindow {
        double loss, norm, last = Double.NaN;
        int steps;

        /** Adds a step's values, tells the listener, and returns the step's loss. */
        double add(StepValues v, Listener listener) {
            loss += v.loss();
            norm += v.norm();
            steps++;
            last = v.loss();
            listener.onStep(v.step(), v.loss());
            return v.loss();
        }

        void clear() { loss = 0; norm = 0; steps = 0; }
    }

    private TrainingDivergedException diverged(String what, double v, long step, Path lastCheckpoint) {
        return new TrainingDivergedException("the " + what + " became " + v + " at step " + step + "; training stopped. "
                + (lastCheckpoint == null ? "No checkpoint was written yet. " : "The last good checkpoint is " + lastCheckpoint + " (continue with --resume). ")
                + "Try a lower --lr, gradient clipping (--grad-clip 1), or check the data for NaN/Inf values.");
    }

    private Conditioning conditioning(Batch b) {
        if (text != null) return text.training(b.captions(), gen);
        if (!cfg.classConditional()) return null;
        int k = cfg.model().numClasses();
        long[] labels = new long[b.n()];
        for (int i = 0; i < b.n(); i++) {
            int y = b.labels()[i];
            if (y < 0 || y >= k) throw new IllegalArgumentException("label " + y + " outside the model's " + k + " classes");
            // label dropout trains the "no class" label that classifier-free guidance needs
            labels[i] = cfg.labelDropout() > 0 && gen.nextDouble() < cfg.labelDropout() ? k : y;
        }
        return Conditioning.of(NetworkDenoiser.LABEL, Tensor.ofLongs(labels, labels.length).to(device));
    }

    private Map<String, Object> evaluate(long step) {
        model.eval();
        try (var swap = ema.swapInto(model)) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("step", step);
            row.putAll(evaluation.evaluate(step, denoiser, diffusion));
            return row;
        } finally {
            model.train();
        }
    }

    private Path writeGrid(long step) {
        model.eval();
        // the graphs' memory goes back before training resumes (and the EMA weights are swapped out)
        try (var swap = ema.swapInto(model); var net = new GraphedDenoiser(denoiser)) {
            SampleConfig sc = cfg.sample();
            ModelConfig mc = cfg.model();
            Tensor imgs;
            int nrow;
            if (superRes != null) {
                imgs = superRes.gridImages(model, diffusion, sc, data, device);
                nrow = 3;
            } else if (text != null) {
                // one row per prompt, guided towards it; the prompts are written beside the grid
                java.util.List<String> prompts = TextConditioning.gridPrompts(data, (int) Math.ceil(Math.sqrt(sc.count())));
                nrow = Sampling.perClass(prompts.size(), sc.count());
                java.util.List<String> each = new java.util.ArrayList<>();
                for (String p : prompts) for (int i = 0; i < nrow; i++) each.add(p);
                try (var textSwap = text.emaWeights()) {
                    imgs = Sampling.sample(text.guided(net, sc.guidance(), null), diffusion, sc, mc, device, each.size(), text.prompts(each), null);
                }
                writePrompts(run.gridFor(step), prompts, nrow);
            } else if (cfg.classConditional()) {
                // one row per class, guided towards it
                long[] labels = Sampling.classRows(mc.numClasses(), sc.count());
                imgs = Sampling.sample(Sampling.guided(net, mc, sc.guidance()), diffusion, sc, mc, device, labels.length,
                        Sampling.labels(labels, device), null);
                nrow = Sampling.perClass(mc.numClasses(), sc.count());
            } else {
                imgs = Sampling.sample(net, diffusion, sc, mc, device, sc.count(), null, null);
                nrow = (int) Math.ceil(Math.sqrt(sc.count()));
            }
            Path png = run.gridFor(step);
            imgs = toPixels.apply(imgs);
            SampleImages.writeGrid(png, imgs.to(Device.CPU), nrow, sc.gridScaleFor(imgs.shape(2), imgs.shape(3)));
            return png;
        } finally {
            model.train();
        }
    }

    /** GPU memory for the metrics row (the dashboard charts gpu_mem*_bytes keys in MiB); nothing on the CPU. */
    static void putMemory(Map<String, Object> row, MemoryUsage m) {
        if (m == null) return;
        row.put("gpu_mem_bytes", m.allocatedBytes());
        row.put("gpu_mem_peak_bytes", m.peakAllocatedBytes());
        row.put("gpu_mem_reserved_bytes", m.reservedBytes());
    }

    /** The grid's prompts, one line per row, in a .txt beside the .png. */
    private static void writePrompts(Path png, java.util.List<String> prompts, int perRow) {
        String name = png.getFileName().toString().replaceFirst("\\.png$", ".txt");
        StringBuilder sb = new StringBuilder("# one row of " + perRow + " samples per prompt, top to bottom\n");
        for (String p : prompts) sb.append(p).append('\n');
        try {
            Files.createDirectories(png.getParent());
            AtomicFiles.writeString(png.resolveSibling(name), sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png.resolveSibling(name) + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ checkpoints

    private Path save(long step, DataLoader loader, long imagesSeen, double seconds) {
        TrainState st = streams.capture(step, loader, imagesSeen, seconds);
        Map<String, String> meta = new java.util.TreeMap<>(Map.of("step", Long.toString(step), "format", "diffusion4j-checkpoint/1"));
        try {
            return run.checkpoints().write(step, cfg.keepCheckpoints(), dir -> {
                StateDicts.saveModel(dir.resolve("model.safetensors"), model, meta);
                StateDicts.save(dir.resolve("ema.safetensors"), ema.stateDict(), meta);
                Map<String, Tensor> opt = new LinkedHashMap<>(optimizer.stateDict());
                if (timesteps instanceof LossSecondMomentSampler s)
                    opt.put("timestep_sampler", Tensor.of(s.state().toArray(), s.state().toArray().length));
                StateDicts.save(dir.resolve("optimizer.safetensors"), opt, meta);
                AtomicFiles.writeString(dir.resolve("state.json"), Json.writePretty(st.toJson()) + "\n");
                if (text != null) text.save(dir, meta);
            }).dir();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint for step " + step + " under " + run.checkpointsDir() + ": " + e.getMessage(), e);
        }
    }

    private TrainState restore(Path dir) {
        try {
            StateDicts.loadModel(dir.resolve("model.safetensors"), model, true);
            ema.loadStateDict(StateDicts.floatsTo(device, StateDicts.load(dir.resolve("ema.safetensors"))));
            Map<String, Tensor> opt = StateDicts.floatsTo(device, StateDicts.load(dir.resolve("optimizer.safetensors")));
            Tensor ts = opt.remove("timestep_sampler");
            optimizer.loadStateDict(opt);
            if (timesteps instanceof LossSecondMomentSampler s && ts != null)
                s.restore(LossSecondMomentSampler.State.fromArray(ts.toDoubleArray(), cfg.diffusion().steps()));
            TrainState st = TrainState.read(dir.resolve("state.json"));
            if (text != null) text.restore(dir);
            streams.restore(st);
            return st;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resume from " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The model a run's checkpoint describes, with its EMA weights loaded (what sampling and evaluation use). */
    public static DenoisingNetwork loadEmaModel(RunDir run, Path checkpoint, Device device) {
        TrainConfig cfg = run.config();
        DenoisingNetwork m = cfg.model().build(new Generator(0));
        try {
            Map<String, Tensor> shadow = StateDicts.load(checkpoint.resolve("ema.safetensors"));
            Map<String, Tensor> weights = new LinkedHashMap<>();
            for (var e : shadow.entrySet()) if (e.getKey().startsWith("shadow.")) weights.put(e.getKey().substring(7), e.getValue());
            m.loadStateDict(weights, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + checkpoint.resolve("ema.safetensors") + ": " + e.getMessage(), e);
        }
        m.to(device);
        m.eval();
        return m;
    }
}
