package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.data.Batch;
import dev.diffusion4j.data.DataLoader;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.models.autoencoder.VQModel;
import dev.diffusion4j.models.autoencoder.PatchDiscriminator;
import dev.diffusion4j.models.lpips.Lpips;
import dev.diffusion4j.nn.Ema;
import dev.diffusion4j.nn.Parameter;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.nn.optim.AdamConfig;
import dev.diffusion4j.nn.optim.AdamW;
import dev.diffusion4j.nn.optim.GradClip;
import dev.diffusion4j.train.MetricsLog;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.RunReport;
import dev.diffusion4j.train.RandomStreams;
import dev.diffusion4j.train.TrainState;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.train.TrainingDivergedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Trains an {@link Autoencoder} on images with {@link AutoencoderLoss}: Adam (betas 0.5, 0.9 as LDM) for the
 * autoencoder and the loss's log-variance, a second Adam for the optional {@link PatchDiscriminator} from the loss's
 * disc_start on, the optional perceptual (LPIPS) term with the user's frozen VGG16 / LPIPS weights, EMA weights,
 * periodic checkpoints, grids of input/reconstruction pairs with their PSNR/SSIM, the metrics log and report.html of
 * diffusion runs ({@link RunDir}, {@link MetricsLog}, {@link RunReport}).
 * Random streams and the data position are checkpointed, so a resumed run continues exactly.
 */
public final class AutoencoderTrainer {
    private final RunDir run;
    private final AutoencoderRunConfig cfg;
    private final ImageDataset data;
    private final Device device;
    private final Autoencoder model;
    private final AutoencoderLoss loss;
    private final PatchDiscriminator disc;
    private final Lpips perceptual;   // null when the perceptual term is off
    private final AdamW optimizer, discOptimizer;
    private final Ema ema;
    private final Generator gen;
    private final RandomStreams streams;
    private final Tensor gridImages;

    public AutoencoderTrainer(RunDir run, AutoencoderRunConfig cfg, ImageDataset data) { this(run, cfg, data, null); }

    /**
     * As {@link #AutoencoderTrainer(RunDir, AutoencoderRunConfig, ImageDataset)} with the perceptual network already
     * loaded (by the caller that checked the weight files before the run folder existed); null loads it from the
     * config's files when its perceptual weight is above 0.
     */
    public AutoencoderTrainer(RunDir run, AutoencoderRunConfig cfg, ImageDataset data, Lpips loadedPerceptual) {
        this.run = run;
        this.cfg = cfg;
        this.data = data;
        this.device = Device.parse(cfg.device());
        cfg.precision().applyMathMode();
        AutoencoderFactory.Entry entry = AutoencoderFactory.get(cfg.preset());
        this.model = AutoencoderRun.build(cfg, new Generator(cfg.seed()).fork(1));
        AutoencoderData.check(model, data);
        model.to(device);
        this.loss = new AutoencoderLoss(cfg.loss(), entry.regularizer());
        loss.to(device);
        List<Parameter> params = new ArrayList<>(model.parameters());
        if (entry.regularizer() == AutoencoderFactory.Regularizer.KL) params.add(loss.logvar());
        AdamConfig adam = AdamConfig.adamDefaults().withLr(cfg.lr()).withBetas(0.5, 0.9);
        this.optimizer = new AdamW(params, adam);
        if (cfg.loss().usesDiscriminator()) {
            checkDiscriminatorFits(cfg.loss(), data);
            this.disc = new PatchDiscriminator(data.channels(), cfg.loss().discWidth(), cfg.loss().discLayers(), new Generator(cfg.seed()).fork(3));
            disc.to(device);
            this.discOptimizer = new AdamW(disc.parameters(), adam);
        } else {
            this.disc = null;
            this.discOptimizer = null;
        }
        if (cfg.loss().perceptual().on()) {
            Lpips.checkSize(data.channels(), data.height(), data.width());
            this.perceptual = (loadedPerceptual != null ? loadedPerceptual : cfg.loss().perceptual().load(Device.CPU)).to(device, dev.diffusion4j.engine.DType.F32);
        } else this.perceptual = null;
        this.ema = new Ema(model, cfg.emaDecay(), true);
        this.gen = new Generator(cfg.seed()).fork(2);
        streams = new RandomStreams(gen, model);
        this.gridImages = AutoencoderData.first(data, Math.min(cfg.gridCount(), data.size())).to(device);
    }

    /** Refuses images too small for the discriminator's depth (its logit map would be empty). */
    public static void checkDiscriminatorFits(AutoencoderLossConfig loss, ImageDataset data) {
        if (!loss.usesDiscriminator()) return;
        int side = Math.min(data.height(), data.width());
        if (PatchDiscriminator.outputSide(side, loss.discLayers()) < 1)
            throw new IllegalArgumentException(side + "-pixel images are too small for a " + loss.discLayers()
                    + "-layer discriminator; use fewer --disc-layers");
    }

    public Autoencoder model() { return model; }
    public Ema ema() { return ema; }

    /** Trains from the latest checkpoint (when resuming; step 0 otherwise) up to the config's step count. */
    public Trainer.Result train(boolean resume, Trainer.Listener listener) {
        Trainer.Position from = resume ? restoreLatest() : Trainer.Position.START;
        long step = from.step(), imagesSeen = from.imagesSeen();
        double seconds = from.seconds();
        Path lastCheckpoint = from.checkpoint(), lastGrid = null;
        int setAside = new MetricsLog(run.metricsFile()).rewindTo(step);
        if (setAside > 0) listener.onNote(setAside + " line(s) of " + run.metricsFile().getFileName() + " moved to " + MetricsLog.setAsideFile(run.metricsFile()));
        listener.onStart(step, cfg.steps());
        int n = cfg.batchSize();
        double lastLoss = Double.NaN;
        Window w = new Window();
        RunReport.Throttled report = new RunReport.Throttled(run, Trainer.REPORT_INTERVAL);
        try (DataLoader loader = DataLoader.builder(data, n).seed(cfg.seed()).flip(cfg.flip()).startAt(from.loaderEpoch(), from.loaderPosition()).build();
             MetricsLog log = new MetricsLog(run.metricsFile())) {
            model.train();
            while (step < cfg.steps()) {
                long t0 = System.nanoTime();
                Batch b = loader.next();
                Tensor x = Tensor.of(b.images(), b.n(), b.c(), b.h(), b.w()).to(device);
                boolean gan = disc != null && step >= cfg.loss().discStart();
                StepLosses s = step(x, gan, step + 1, lastCheckpoint);
                step++;
                imagesSeen += n;
                seconds += (System.nanoTime() - t0) / 1e9;
                lastLoss = s.total;
                w.add(s);
                listener.onStep(step, s.total);
                if (step % cfg.logEvery() == 0 || step == cfg.steps()) {
                    Map<String, Object> row = w.row(step, cfg.lr(), n, imagesSeen, loss.logvar().data().item());
                    if (model instanceof VQModel vq) {   // codebook use in this step's batch
                        row.put("codes_in_use", vq.quantizer().codesInUse());
                        row.put("perplexity", vq.quantizer().perplexity());
                    }
                    log.append(row);
                    listener.onLog(row);
                    w = new Window();
                }
                if (step % cfg.sampleEvery() == 0 || step == cfg.steps()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    lastGrid = writeGrid(step, row);
                    log.append(row);
                    listener.onLog(row);
                    listener.onGrid(step, lastGrid);
                    report.write();
                    w.restartClock();
                }
                if (step % cfg.checkpointEvery() == 0 || step == cfg.steps()) {
                    lastCheckpoint = save(step, loader, imagesSeen, seconds);
                    listener.onCheckpoint(step, lastCheckpoint);
                    report.write();
                    w.restartClock();
                }
                if (step % cfg.logEvery() == 0) report.maybeWrite();
            }
        }
        report.write();
        return new Trainer.Result(step, lastLoss, lastCheckpoint, lastGrid);
    }

    record StepLosses(double total, double rec, double reg, double gen, double adaptive, double disc, double gradNorm, double perceptual) {}

    /** One optimizer step of the autoencoder (and, with the GAN on, of the discriminator). */
    private StepLosses step(Tensor x, boolean gan, long stepNumber, Path lastCheckpoint) {
        optimizer.zeroGrad();
        Tensor xHat, rec, reg, total, g = null, p = null;
        double adaptive = 0;
        try (var ac = cfg.precision().autocast()) {
            Autoencoder.Encoding enc = model.encode(x);
            xHat = model.decode(enc.latents(gen));
            if (perceptual != null) p = perceptual.distanceToFixed(x, xHat);   // [N]; no graph through the inputs' features
            rec = loss.reconstruction(x, xHat, p);
            reg = loss.regularization(enc.regularization());
            total = rec.add(reg);
            if (gan) {
                g = AutoencoderLoss.generatorLoss(disc.forward(xHat));
                adaptive = loss.adaptiveWeight(rec, g, model.lastDecoderWeight());
                total = total.add(g.mul(adaptive));
            }
        }
        double tv = total.item();
        if (!Double.isFinite(tv)) throw diverged(tv, stepNumber, lastCheckpoint);
        double recV = rec.item(), regV = reg.item(), gV = g == null ? 0 : g.item(), pV = p == null ? Double.NaN : p.mean().item();
        total.backward();
        double norm = cfg.gradClip() > 0 ? GradClip.clipGradNorm(model, cfg.gradClip()) : GradClip.gradNorm(model.parameters());
        optimizer.step();
        ema.update(model);
        double dV = 0;
        if (gan) {
            discOptimizer.zeroGrad();
            Tensor d;
            try (var ac = cfg.precision().autocast()) {
                Tensor fake = xHat.detach();
                d = AutoencoderLoss.hinge(disc.forward(x), disc.forward(fake));
            }
            dV = d.item();
            d.backward();
            discOptimizer.step();
        }
        return new StepLosses(tv, recV, regV, gV, adaptive, dV, norm, pV);
    }

    private TrainingDivergedException diverged(double v, long step, Path lastCheckpoint) {
        return new TrainingDivergedException("the autoencoder loss became " + v + " at step " + step + "; training stopped. "
                + (lastCheckpoint == null ? "No checkpoint was written yet. " : "The last good checkpoint is " + lastCheckpoint + " (continue with --resume). ")
                + "Try a lower --lr or gradient clipping (--grad-clip 1).");
    }

    /** Averages over the steps since the last metrics line. */
    private static final class Window {
        double total, rec, reg, gen, adaptive, disc, norm, perceptual;
        int steps;
        long start = System.nanoTime();

        void add(StepLosses s) {
            total += s.total; rec += s.rec; reg += s.reg; gen += s.gen; adaptive += s.adaptive; disc += s.disc; norm += s.gradNorm;
            perceptual += s.perceptual;   // NaN when the term is off: then left out of the row
            steps++;
        }

        void restartClock() { start = System.nanoTime(); }

        Map<String, Object> row(long step, double lr, int batch, long imagesSeen, double logvar) {
            double dt = Math.max((System.nanoTime() - start) / 1e9, 1e-9);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("step", step);
            r.put("loss_avg", total / steps);
            r.put("rec_loss", rec / steps);
            r.put("reg_loss", reg / steps);
            if (!Double.isNaN(perceptual)) r.put("p_loss", perceptual / steps);   // mean LPIPS of the batches, unweighted
            r.put("logvar", logvar);
            r.put("g_loss", gen / steps);
            r.put("adaptive_weight", adaptive / steps);
            r.put("disc_loss", disc / steps);
            r.put("lr", lr);
            r.put("grad_norm", norm / steps);
            r.put("img_per_s", steps * (double) batch / dt);
            r.put("images_seen", imagesSeen);
            return r;
        }
    }

    /** The EMA model's reconstructions of the fixed grid images, beside them; PSNR and SSIM go into {@code row}. */
    private Path writeGrid(long step, Map<String, Object> row) {
        model.eval();
        try (var swap = ema.swapInto(model)) {
            Reconstructions r = Reconstructions.of(model, gridImages);
            row.put("step", step);
            row.put("psnr", r.psnr());
            row.put("ssim", r.ssim());
            Path png = run.gridFor(step);
            r.writePairs(png);
            return png;
        } finally {
            model.train();
        }
    }

    // ------------------------------------------------------------------ checkpoints

    private Path save(long step, DataLoader loader, long imagesSeen, double seconds) {
        TrainState st = streams.capture(step, loader, imagesSeen, seconds);
        Map<String, String> meta = new TreeMap<>(Map.of("step", Long.toString(step), "format", "diffusion4j-autoencoder-checkpoint/1"));
        try {
            return run.checkpoints().write(step, cfg.keepCheckpoints(), dir -> {
                StateDicts.saveModel(dir.resolve("model.safetensors"), model, meta);
                StateDicts.save(dir.resolve("ema.safetensors"), ema.stateDict(), meta);
                StateDicts.saveModel(dir.resolve("loss.safetensors"), loss, meta);
                StateDicts.save(dir.resolve("optimizer.safetensors"), optimizer.stateDict(), meta);
                if (disc != null) {
                    StateDicts.saveModel(dir.resolve("discriminator.safetensors"), disc, meta);
                    StateDicts.save(dir.resolve("disc_optimizer.safetensors"), discOptimizer.stateDict(), meta);
                }
                AtomicFiles.writeString(dir.resolve("state.json"), Json.writePretty(st.toJson()) + "\n");
            }).dir();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint for step " + step + " under " + run.checkpointsDir() + ": " + e.getMessage(), e);
        }
    }

    /** Loads the latest checkpoint into this trainer; {@link Trainer.Position#START} when the run has none. */
    public Trainer.Position restoreLatest() {
        var latest = run.checkpoints().latest();
        if (latest.isEmpty()) return Trainer.Position.START;
        Path dir = latest.get().dir();
        try {
            StateDicts.loadModel(dir.resolve("model.safetensors"), model, true);
            ema.loadStateDict(StateDicts.floatsTo(device, StateDicts.load(dir.resolve("ema.safetensors"))));
            StateDicts.loadModel(dir.resolve("loss.safetensors"), loss, true);
            optimizer.loadStateDict(StateDicts.floatsTo(device, StateDicts.load(dir.resolve("optimizer.safetensors"))));
            if (disc != null && java.nio.file.Files.exists(dir.resolve("discriminator.safetensors"))) {
                StateDicts.loadModel(dir.resolve("discriminator.safetensors"), disc, true);
                discOptimizer.loadStateDict(StateDicts.floatsTo(device, StateDicts.load(dir.resolve("disc_optimizer.safetensors"))));
            }
            TrainState st = TrainState.read(dir.resolve("state.json"));
            streams.restore(st);
            return new Trainer.Position(st.step(), st.imagesSeen(), st.trainSeconds(), st.loaderEpoch(), st.loaderPosition(), dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resume from " + dir + ": " + e.getMessage(), e);
        }
    }
}
