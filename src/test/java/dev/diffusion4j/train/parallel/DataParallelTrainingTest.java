package dev.diffusion4j.train.parallel;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.cli.Main;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.dist.Communicator;
import dev.diffusion4j.engine.dist.LocalGroup;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import java.time.Duration;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.train.MetricsLog;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key identity of data parallelism: W simulated ranks on the same global batch take the step one rank takes,
 * so weights, EMA and losses agree with the one-rank run up to f32 summation order; and a checkpoint written at one
 * world size resumes at another.
 */
class DataParallelTrainingTest {
    @TempDir Path tmp;
    static final double TOL = 2e-5;

    static List<String> args(Path out, int steps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--out", out.toString(), "--data", "shapes:64", "--preset", "tiny", "--image-size", "8",
                "--batch-size", "8", "--steps", Integer.toString(steps), "--checkpoint-every", "2", "--log-every", "1",
                "--sample-every", "1000", "--grid-size", "1", "--sample-steps", "1", "--warmup", "2", "--lr", "1e-3"));
        a.addAll(List.of(extra));
        return a;
    }

    static String run(List<String> args, int expectRc) {
        StringWriter sw = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(sw));
        cl.setErr(new PrintWriter(sw));
        int rc = cl.execute(args.toArray(String[]::new));
        assertEquals(expectRc, rc, "diffuse " + String.join(" ", args) + ":\n" + sw);
        return sw.toString();
    }

    static Map<String, Tensor> load(Path run, int step, String file) throws Exception {
        return StateDicts.load(run.resolve(String.format("checkpoints/step-%07d/%s", step, file)));
    }

    static void assertClose(Map<String, Tensor> a, Map<String, Tensor> b, String what) {
        assertEquals(a.keySet(), b.keySet(), what);
        double worst = 0;
        String at = null;
        for (var e : a.entrySet()) {
            float[] x = e.getValue().toFloatArray(), y = b.get(e.getKey()).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                double d = Math.abs(x[i] - y[i]) / (1 + Math.abs(x[i]));
                if (d > worst) { worst = d; at = e.getKey(); }
            }
        }
        assertTrue(worst < TOL, what + ": largest difference " + worst + " at " + at);
    }

    static List<Double> losses(Path run) {
        List<Double> out = new ArrayList<>();
        for (Map<String, Object> r : MetricsLog.read(run.resolve("metrics.jsonl"))) out.add(((Number) r.get("loss")).doubleValue());
        return out;
    }

    static void assertSameRun(Path one, Path many, int step) throws Exception {
        assertClose(load(one, step, "model.safetensors"), load(many, step, "model.safetensors"), "weights at step " + step);
        assertClose(load(one, step, "ema.safetensors"), load(many, step, "ema.safetensors"), "EMA at step " + step);
        assertClose(load(one, step, "optimizer.safetensors"), load(many, step, "optimizer.safetensors"), "optimizer state at step " + step);
        List<Double> a = losses(one), b = losses(many);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) assertEquals(a.get(i), b.get(i), 1e-5 * (1 + Math.abs(a.get(i))), "loss at step " + (i + 1));
        assertEquals(Files.readString(one.resolve(String.format("checkpoints/step-%07d/state.json", step))).replaceAll("\"train_seconds\".*\n", ""),
                Files.readString(many.resolve(String.format("checkpoints/step-%07d/state.json", step))).replaceAll("\"train_seconds\".*\n", ""),
                "stream and data positions");
    }

    @Test
    void twoAndFourSimulatedRanksTakeTheOneRankSteps() throws Exception {
        Path one = tmp.resolve("w1"), two = tmp.resolve("w2"), four = tmp.resolve("w4");
        run(args(one, 4), 0);
        run(args(two, 4, "--simulate-ranks", "2"), 0);
        run(args(four, 4, "--devices", "cpu,cpu,cpu,cpu"), 0);
        assertSameRun(one, two, 4);
        assertSameRun(one, four, 4);
    }

    @Test
    void gradientAccumulationSyncsOncePerStepAndAgrees() throws Exception {
        Path one = tmp.resolve("a1"), two = tmp.resolve("a2");
        run(args(one, 2, "--grad-accum", "2"), 0);
        run(args(two, 2, "--grad-accum", "2", "--simulate-ranks", "2"), 0);
        assertSameRun(one, two, 2);
    }

    @Test
    void classConditionalRunsWithLabelDropoutAgreeToo() throws Exception {
        Path one = tmp.resolve("c1"), two = tmp.resolve("c2");
        String[] cond = {"--class-conditional", "--label-dropout", "0.3"};
        run(args(one, 3, cond), 0);
        List<String> a = args(two, 3, cond);
        a.addAll(List.of("--simulate-ranks", "2"));
        run(a, 0);
        assertSameRun(one, two, 3);
    }

    @Test
    void aCheckpointWrittenAtOneWorldSizeResumesAtAnother() throws Exception {
        Path one = tmp.resolve("ref"), ab = tmp.resolve("two-then-one"), ba = tmp.resolve("one-then-two");
        run(args(one, 4), 0);
        run(args(ab, 4, "--simulate-ranks", "2"), 0);
        run(args(ba, 4), 0);
        for (Path p : List.of(ab, ba)) deleteTree(p.resolve("checkpoints/step-0000004"));   // as if stopped after step 2's checkpoint
        run(List.of("train", "--out", ab.toString(), "--resume"), 0);
        run(List.of("train", "--out", ba.toString(), "--resume", "--simulate-ranks", "2"), 0);
        assertSameRun(one, ab, 4);
        assertSameRun(one, ba, 4);
    }

    @Test
    void refusesAWorldSizeThatDoesNotDivideTheBatchAndConflictingOptions() {
        String out = run(args(tmp.resolve("x"), 2, "--simulate-ranks", "3"), 2);
        assertTrue(out.contains("--batch-size 8 does not split evenly over 3 ranks"), out);
        out = run(args(tmp.resolve("y"), 2, "--simulate-ranks", "2", "--gpus", "2"), 2);
        assertTrue(out.contains("use one of --gpus, --devices and --simulate-ranks"), out);
        out = run(args(tmp.resolve("d"), 2, "--simulate-ranks", "2", "--dropout", "0.1"), 2);
        assertTrue(out.contains("several ranks need --dropout 0"), out);
        out = run(args(tmp.resolve("g"), 2, "--gpus", "2"), 2);
        assertTrue(out.contains("2 GPUs requested (up to cuda:1) but 0 visible here") || dev.diffusion4j.engine.Backends.cudaAvailable(), out);
        out = run(args(tmp.resolve("m"), 2, "--devices", "cpu,cuda:0"), 2);
        assertTrue(out.contains("mixes CPU and GPU ranks"), out);
        out = run(args(tmp.resolve("t"), 2, "--simulate-ranks", "2", "--timestep-sampler", "loss-second-moment"), 2);
        assertTrue(out.contains("loss-second-moment trains on one device"), out);
        for (String d : List.of("x", "y", "d", "g", "m", "t")) assertFalse(Files.exists(tmp.resolve(d)), d + " was created");
    }

    @Test
    void aRankThatThrowsEndsTheRunNamingItAndTheLastCheckpointStaysIntact() throws Exception {
        Path dir = tmp.resolve("fail");
        run(args(dir, 2, "--lr-schedule", "constant"), 0);             // checkpoint at step 2
        RunDir rd = RunDir.open(dir);
        TrainConfig cfg = rd.config().withSteps(8);
        Trainer lead = new Trainer(rd, cfg, Datasets.open(cfg.data(), 3, 8, "train", w -> {}));
        Trainer.Position from = lead.restoreLatest();
        // rank 1's data fails in its third batch (step 5), after rank 0 wrote the checkpoint of step 4
        ImageDataset failing = new FailingAfter(lead.data(), 2 * 8);
        List<Communicator> comms = LocalGroup.create(2, Duration.ofMinutes(2));
        var e = assertThrows(RankFailedException.class, () -> DataParallelRun.train(lead, r -> new Trainer(rd, cfg, failing), comms,
                GradientBuckets.DEFAULT_BYTES, from, new Trainer.Listener() {}, () -> LocalGroup.of(comms.get(0)).abort("rank failed")));
        assertEquals(1, e.rank());
        assertTrue(e.getMessage().startsWith("rank 1 of 2 failed: "), e.getMessage());
        assertTrue(e.getMessage().contains("disk gone"), e.getMessage());
        assertTrue(e.getMessage().contains("step-0000004"), e.getMessage());
        assertEquals(4, rd.checkpoints().latest().orElseThrow().step());
        Path last = rd.checkpoints().latest().orElseThrow().dir();
        assertFalse(load(dir, 4, "model.safetensors").isEmpty());       // complete and readable
        assertTrue(Files.exists(last.resolve("state.json")));
        // and the run resumes from it on one rank
        run(List.of("train", "--out", dir.toString(), "--resume", "--steps", "6"), 0);
        assertEquals(6, RunDir.open(dir).checkpoints().latest().orElseThrow().step());
    }

    /** A dataset whose reads fail after {@code limit} images (a disk that goes away under one rank). */
    record FailingAfter(ImageDataset inner, int limit, java.util.concurrent.atomic.AtomicInteger reads) implements ImageDataset {
        FailingAfter(ImageDataset inner, int limit) { this(inner, limit, new java.util.concurrent.atomic.AtomicInteger()); }
        @Override public int size() { return inner.size(); }
        @Override public int channels() { return inner.channels(); }
        @Override public int height() { return inner.height(); }
        @Override public int width() { return inner.width(); }
        @Override public int numClasses() { return inner.numClasses(); }
        @Override public int label(int index) { return inner.label(index); }
        @Override public String describe() { return inner.describe(); }
        @Override public void load(int index, float[] dst, int off) {
            if (reads.incrementAndGet() > limit) throw new java.io.UncheckedIOException(new java.io.IOException("disk gone"));
            inner.load(index, dst, off);
        }
    }

    static void deleteTree(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
