package dev.diffusion4j.train;

import dev.diffusion4j.train.dashboard.StaticReport;
import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.cli.Main;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end training through the CLI on tiny shapes: loss falls, resume after kill -9 is exact, NaN stops cleanly. */
class TrainerTest {
    @TempDir Path tmp;

    /** A run small enough for CI: the tiny U-Net on 8x8 shapes. */
    static String[] trainArgs(Path out, int steps) {
        return new String[] {"train", "--out", out.toString(), "--data", "shapes:512", "--preset", "tiny", "--image-size", "8",
            "--batch-size", "8", "--steps", Integer.toString(steps), "--checkpoint-every", "10", "--log-every", "1",
            "--sample-every", "1000", "--grid-size", "4", "--sample-steps", "2", "--warmup", "5", "--device", "cpu"};
    }

    static int run(String... args) {
        StringWriter sw = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(sw));
        cl.setErr(new PrintWriter(sw));
        int rc = cl.execute(args);
        assertEquals(0, rc, "diffuse " + String.join(" ", args) + " failed:\n" + sw);
        return rc;
    }

    static List<Double> losses(Path run) {
        List<Double> out = new ArrayList<>();
        for (Map<String, Object> r : MetricsLog.read(run.resolve("metrics.jsonl"))) out.add(((Number) r.get("loss")).doubleValue());
        return out;
    }

    @Test
    void resumeAfterKillMinus9ContinuesExactlyAsAnUninterruptedRun() throws Exception {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        run(trainArgs(a, 30));
        List<Double> expected = losses(a);
        assertEquals(30, expected.size());

        // the same run in another JVM, killed hard somewhere after its first checkpoint (step 10)
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(trainArgs(b, 30)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        long deadline = System.currentTimeMillis() + 120_000;
        while (losses(b).size() < 14 && p.isAlive() && System.currentTimeMillis() < deadline) Thread.sleep(20);
        assertTrue(p.isAlive(), "child finished before it could be killed:\n" + Files.readString(tmp.resolve("child.log")));
        p.destroyForcibly();           // SIGKILL: no shutdown hooks, possibly mid-step or mid-write
        p.waitFor(30, TimeUnit.SECONDS);
        int before = losses(b).size();
        assertTrue(before >= 14 && before < 30, "killed after " + before + " steps");

        run("train", "--out", b.toString(), "--resume");
        assertEquals(expected, losses(b), "resumed losses differ from the uninterrupted run");
        // both runs end with identical weights too
        assertArrayEquals(Files.readAllBytes(a.resolve("checkpoints/step-0000030/model.safetensors")),
                Files.readAllBytes(b.resolve("checkpoints/step-0000030/model.safetensors")));
    }

    @Test
    void lossFallsAndTheRunFolderHasEverythingSampleAndEvalNeed() throws Exception {
        Path a = tmp.resolve("learn");
        run(trainArgs(a, 60));
        List<Double> l = losses(a);
        double first = l.subList(0, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = l.subList(50, 60).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < 0.6 * first, "loss did not fall: first 10 steps " + first + ", last 10 " + last);
        assertTrue(Files.size(a.resolve("samples/step-0000060.png")) > 100);
        // report.html: the dashboard page with the run's curves and grids embedded (DashboardBrowserTest draws it)
        Map<String, Object> run = dev.diffusion4j.io.Json.getObject(StaticReport.embeddedData(Files.readString(a.resolve("report.html"))), "run");
        assertEquals("finished", run.get("state"), "the last write follows the final checkpoint");
        assertEquals(60L, ((List<?>) run.get("rows")).stream().filter(r -> ((Map<?, ?>) r).containsKey("loss")).count(), "every logged step");
        assertTrue(run.get("grids").toString().contains("samples/step-0000060.png"), "report has the grid: " + run.get("grids"));
        // labelled data trains class-conditionally by default; the grid has one row per class (5 shapes, 4 / 5 -> 1 column),
        // each 8x8 image enlarged 8 times (auto: cells of 64 pixels) with 2px padding
        TrainConfig cfg = RunDir.open(a).config();
        assertTrue(cfg.classConditional());
        assertEquals(5, cfg.model().numClasses());
        assertEquals(dev.diffusion4j.engine.Precision.FP32, cfg.precision());
        var json = dev.diffusion4j.io.Json.parseObject(dev.diffusion4j.io.Json.write(cfg.toJson()));
        json.put("precision", "bf16");
        assertEquals(dev.diffusion4j.engine.Precision.BF16, TrainConfig.fromJson(json).precision());
        json.remove("precision");
        assertEquals(dev.diffusion4j.engine.Precision.FP32, TrainConfig.fromJson(json).precision(), "configs from before --precision read as fp32");
        var grid = dev.diffusion4j.data.Pngs.read(a.resolve("samples/step-0000060.png"), 3);
        assertEquals(66 + 2, grid.w());
        assertEquals(5 * 66 + 2, grid.h());
        run("sample", "--run", a.toString(), "--count", "4", "--steps", "3", "--sampler", "dpm++2m", "--grid", tmp.resolve("g.png").toString(),
                "--strip", tmp.resolve("s.png").toString(), "--device", "cpu");
        assertTrue(Files.size(tmp.resolve("g.png")) > 100 && Files.size(tmp.resolve("s.png")) > 100);
        assertEquals(4 * 66 + 2, dev.diffusion4j.data.Pngs.read(tmp.resolve("g.png"), 3).h(), "default: one row per class, --count 4 of 5 classes: 4 rows");
        var strip = dev.diffusion4j.data.Pngs.read(tmp.resolve("s.png"), 3);
        assertEquals(66 + 2, strip.h(), "strip frames enlarged like the grid's cells (8x8 -> 64)");
        assertTrue(strip.w() > 2 * 66 && (strip.w() - 2) % 66 == 0, "whole 66-pixel frames side by side: " + strip.w());
        run("sample", "--run", a.toString(), "--count", "4", "--steps", "3", "--class", "2", "--guidance", "2", "--grid-scale", "1",
                "--grid", tmp.resolve("c2.png").toString(), "--device", "cpu");
        var c2 = dev.diffusion4j.data.Pngs.read(tmp.resolve("c2.png"), 3);
        assertEquals(2 * 10 + 2, c2.w(), "4 images of class 2 in a 2x2 grid, not enlarged");
        assertEquals(2 * 10 + 2, c2.h());
        run("sample", "--run", a.toString(), "--count", "4", "--steps", "3", "--class", "none", "--grid", tmp.resolve("u.png").toString(), "--device", "cpu");
        assertEquals(2 * 66 + 2, dev.diffusion4j.data.Pngs.read(tmp.resolve("u.png"), 3).w());
        run("sample", "--run", a.toString(), "--steps", "1", "--grid", tmp.resolve("d.png").toString(), "--device", "cpu");
        var d = dev.diffusion4j.data.Pngs.read(tmp.resolve("d.png"), 3);
        assertEquals(5 * 66 + 2, d.h(), "the default count fills whole class rows: 64 on 5 classes gives 5 rows of 12");
        assertEquals(12 * 66 + 2, d.w());
    }

    @Test
    void noClassConditionalTrainsUnconditionallyWithASquareGrid() throws Exception {
        Path a = tmp.resolve("uncond");
        List<String> args = new ArrayList<>(List.of(trainArgs(a, 2)));
        args.addAll(List.of("--no-class-conditional", "--grid-scale", "1"));
        run(args.toArray(new String[0]));
        TrainConfig cfg = RunDir.open(a).config();
        assertFalse(cfg.classConditional());
        assertEquals(0, cfg.model().numClasses());
        var grid = dev.diffusion4j.data.Pngs.read(a.resolve("samples/step-0000002.png"), 3);
        assertEquals(2 * 10 + 2, grid.w());
        assertEquals(2 * 10 + 2, grid.h());
    }

    @Test
    void nonFiniteLossStopsWithAClearMessageAndKeepsTheLastCheckpoint() throws Exception {
        Path a = tmp.resolve("nan");
        // config from the CLI's defaults, then a library-level run on data that turns NaN after 6 batches
        TrainConfig base = cliConfig(a);
        RunDir dir = RunDir.create(a, base);
        ImageDataset shapes = Datasets.open("shapes:512", 3, 8);
        ImageDataset poisoned = new PoisonedDataset(shapes, 6 * 8);
        Trainer t = new Trainer(dir, poisoned);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.train(false, new Trainer.Listener() {}));
        assertTrue(e.getMessage().contains("became NaN at step 7"), e.getMessage());
        assertTrue(e.getMessage().contains("step-0000006"), e.getMessage());
        var latest = dir.checkpoints().latest().orElseThrow();
        assertEquals(6, latest.step());
        Trainer.loadEmaModel(dir, latest.dir(), dev.diffusion4j.engine.Device.CPU);   // still loads
    }

    private TrainConfig cliConfig(Path scratch) {
        Path probe = tmp.resolve("probe");
        String[] args = trainArgs(probe, 1);
        args[java.util.Arrays.asList(args).indexOf("--checkpoint-every") + 1] = "2";
        run(args);
        return RunDir.open(probe).config().withSteps(20);
    }

    /** Returns NaN images once {@code after} images have been loaded (batches are produced in order). */
    private record PoisonedDataset(ImageDataset inner, int after, java.util.concurrent.atomic.AtomicInteger loads) implements ImageDataset {
        PoisonedDataset(ImageDataset inner, int after) { this(inner, after, new java.util.concurrent.atomic.AtomicInteger()); }
        @Override public int size() { return inner.size(); }
        @Override public int channels() { return inner.channels(); }
        @Override public int height() { return inner.height(); }
        @Override public int width() { return inner.width(); }
        @Override public int numClasses() { return inner.numClasses(); }
        @Override public int label(int i) { return inner.label(i); }
        @Override public String describe() { return "poisoned " + inner.describe(); }
        @Override public void load(int index, float[] dst, int off) {
            inner.load(index, dst, off);
            if (loads.incrementAndGet() > after) java.util.Arrays.fill(dst, off, off + imageLength(), Float.NaN);
        }
    }

    static { assertNotNull(File.separator); }
}
