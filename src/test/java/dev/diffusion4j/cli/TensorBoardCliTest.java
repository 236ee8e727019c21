package dev.diffusion4j.cli;

import dev.diffusion4j.train.dashboard.StaticReport;
import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.io.tensorboard.EventFileReader;
import dev.diffusion4j.train.EvalLog;
import dev.diffusion4j.train.MetricsLog;
import dev.diffusion4j.train.RunDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train --tensorboard writes event files TensorBoard can read; a resume goes on in a new file; eval adds its results. */
class TensorBoardCliTest {
    @TempDir Path tmp;

    static String[] train(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--out", out.toString(), "--data", "shapes:64", "--image-size", "8",
                "--batch-size", "8", "--log-every", "1", "--checkpoint-every", "2", "--sample-every", "2", "--grid-size", "5",
                "--sample-steps", "2", "--warmup", "1", "--timesteps", "10", "--device", "cpu"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    static List<Path> eventFiles(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents.")).sorted().toList();
        }
    }

    /** tag -> steps of its points, over the events given. */
    static Map<String, List<Long>> scalarSteps(List<EventFileReader.Event> events) {
        Map<String, List<Long>> m = new TreeMap<>();
        for (var e : events)
            for (var v : e.values()) if (v.image() == null) m.computeIfAbsent(v.tag(), k -> new ArrayList<>()).add(e.step());
        return m;
    }

    @Test
    void trainingWritesScalarsAndGridsAndAResumeGoesOnInANewFile() throws Exception {
        Path run = tmp.resolve("run");
        CliRun r = CliRun.of(train(run, "--steps", "4", "--tensorboard", "--lr-schedule", "constant")).succeeded();
        assertTrue(r.out().contains("tensorboard: " + run.resolve("tensorboard")), r.describe());
        List<Path> files = eventFiles(run.resolve("tensorboard/train"));
        assertEquals(1, files.size());
        List<EventFileReader.Event> ev = EventFileReader.events(files.get(0));
        assertEquals("brain.Event:2", ev.get(0).fileVersion());
        assertEquals(1, ev.get(1).sessionStatus(), "a session start");
        assertEquals(1, ev.get(1).step());
        Map<String, List<Long>> steps = scalarSteps(ev);
        for (String tag : List.of("train/loss", "train/loss_avg", "train/lr", "train/grad_norm", "train/img_per_s"))
            assertEquals(List.of(1L, 2L, 3L, 4L), steps.get(tag), tag + " in " + steps.keySet());
        assertFalse(steps.containsKey("train/images_seen") || steps.containsKey("train/step"), steps.keySet().toString());

        // the scalars are the metrics.jsonl values (as float32) with the lines' times
        List<Map<String, Object>> rows = MetricsLog.read(run.resolve("metrics.jsonl"));
        var loss3 = ev.stream().filter(e -> e.step() == 3 && !e.values().isEmpty() && e.values().get(0).tag().equals("train/loss")).findFirst().orElseThrow();
        Map<String, Object> row3 = rows.get(2);
        assertEquals(((Number) row3.get("loss")).floatValue(), loss3.values().get(0).simpleValue());
        assertEquals(MetricsLog.time(row3).orElseThrow().toEpochMilli() / 1000.0, loss3.wallTime(), 1e-6);

        List<EventFileReader.Event> images = ev.stream().filter(e -> !e.values().isEmpty() && e.values().get(0).image() != null).toList();
        assertEquals(List.of(2L, 4L), images.stream().map(EventFileReader.Event::step).toList());
        var grid = images.get(1).values().get(0);
        assertEquals("samples", grid.tag());
        assertArrayEquals(Files.readAllBytes(run.resolve("samples/step-0000004.png")), grid.image().png());

        // a resume without the flag goes on writing, in a new file that starts a session after the checkpoint
        CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "6").succeeded();
        files = eventFiles(run.resolve("tensorboard/train"));
        assertEquals(2, files.size());
        List<EventFileReader.Event> more = EventFileReader.events(files.get(1));
        assertEquals(5, more.get(1).step());
        assertEquals(1, more.get(1).sessionStatus());
        assertEquals(List.of(5L, 6L), scalarSteps(more).get("train/loss"));
    }

    @Test
    void evalScoresTheConditionalModelByDefaultAndSavesItsResults() throws Exception {
        Path run = tmp.resolve("cond");
        CliRun.of(train(run, "--steps", "2", "--tensorboard")).succeeded();
        CliRun cond = CliRun.of("eval", "--run", run.toString(), "--count", "4", "--batch-size", "2", "--device", "cpu").succeeded();
        assertTrue(cond.out().contains("scoring: the class-conditional model (nll: each image with its label from the data"), cond.describe());
        CliRun uncond = CliRun.of("eval", "--run", run.toString(), "--count", "4", "--batch-size", "2", "--device", "cpu", "--unconditional").succeeded();
        assertTrue(uncond.out().contains("scoring: the 'no class' branch of the class-conditional model (--unconditional)"), uncond.describe());

        List<Map<String, Object>> evals = EvalLog.read(RunDir.open(run));
        assertEquals(2, evals.size());
        assertEquals("conditional", evals.get(0).get("scored"));
        assertEquals("unconditional-branch", evals.get(1).get("scored"));
        assertEquals(2L, evals.get(0).get("step"));
        assertEquals("train", evals.get(0).get("split"), "shapes has no test split: the training images were scored");
        assertEquals(4L, evals.get(0).get("count"));
        assertTrue(MetricsLog.time(evals.get(0)).isPresent());
        double c = ((Number) evals.get(0).get("nll_bpd")).doubleValue(), u = ((Number) evals.get(1).get("nll_bpd")).doubleValue();
        assertTrue(c > 0 && u > 0 && c != u, "the two branches give different bounds: " + c + " vs " + u);
        assertEquals(referenceBpd(run, 4, 2, 0, true), c, 1e-9, "the conditional score is the bound given each image's label");
        assertEquals(referenceBpd(run, 4, 2, 0, false), u, 1e-9, "the unconditional score is the bound with no class");
        Map<String, Object> shown = dev.diffusion4j.io.Json.getObject(StaticReport.embeddedData(Files.readString(run.resolve("report.html"))), "run");
        assertEquals(evals, shown.get("evals"), "report.html carries both evaluations for its table");

        List<Path> files = eventFiles(run.resolve("tensorboard/eval"));
        assertEquals(2, files.size());
        Map<String, List<Long>> steps = scalarSteps(EventFileReader.events(files.get(0)));
        assertEquals(List.of(2L), steps.get("eval/train/nll_bpd"), steps.toString());
        assertFalse(steps.containsKey("eval/train/count"), steps.toString());
    }

    @Test
    void evalOfConditionalRunOnUnlabelledDataIsRefusedWithTheWayOut() throws Exception {
        Path run = tmp.resolve("cond2");
        CliRun.of(train(run, "--steps", "2")).succeeded();
        Path pngs = tmp.resolve("pngs");
        dev.diffusion4j.data.Pngs.writeImage(pngs.resolve("a.png"), new float[3 * 8 * 8], 0, 3, 8, 8);
        dev.diffusion4j.data.Pngs.writeImage(pngs.resolve("b.png"), new float[3 * 8 * 8], 0, 3, 8, 8);
        Map<String, String> before = CliRun.snapshot(run);
        CliRun.of("eval", "--run", run.toString(), "--data", pngs.toString(), "--split", "train", "--count", "2", "--device", "cpu")
              .refused(1, "class-conditional over 5 classes", "--unconditional");
        assertEquals(before, CliRun.snapshot(run), "a refused eval writes nothing");
        CliRun.of("eval", "--run", run.toString(), "--data", pngs.toString(), "--split", "train", "--count", "2", "--device", "cpu", "--unconditional")
              .succeeded();
        assertFalse(Files.exists(run.resolve("tensorboard")), "no TensorBoard folder unless the run was trained with --tensorboard");
    }

    /** The NLL bound of the first n training images straight from the library: given their labels, or no class. */
    static double referenceBpd(Path runDir, int n, int batch, long seed, boolean withLabels) {
        RunDir run = RunDir.open(runDir);
        var cfg = run.config();
        var model = dev.diffusion4j.train.Trainer.loadEmaModel(run, run.checkpoints().latest().orElseThrow().dir(), dev.diffusion4j.engine.Device.CPU);
        var diffusion = cfg.diffusion().build();
        var ds = dev.diffusion4j.data.Datasets.open(cfg.data(), cfg.model().inChannels(), cfg.model().resolution(), "train", w -> {});
        var acc = new dev.diffusion4j.diffusion.NllAccumulator(diffusion.steps());
        var gen = new dev.diffusion4j.engine.Generator(seed);
        float[] img = new float[ds.imageLength()];
        for (int start = 0; start < n; start += batch) {
            float[] x = new float[batch * img.length];
            long[] y = new long[batch];
            for (int i = 0; i < batch; i++) {
                ds.load(start + i, img, 0);
                System.arraycopy(img, 0, x, i * img.length, img.length);
                y[i] = ds.label(start + i);
            }
            var x0 = dev.diffusion4j.engine.Tensor.of(x, batch, cfg.model().inChannels(), cfg.model().resolution(), cfg.model().resolution());
            var cond = withLabels ? dev.diffusion4j.diffusion.Conditioning.of(dev.diffusion4j.models.NetworkDenoiser.LABEL,
                    dev.diffusion4j.engine.Tensor.ofLongs(y, batch)) : null;
            acc.add(diffusion.bitsPerDim(new dev.diffusion4j.models.NetworkDenoiser(model), x0, cond, gen));
        }
        return acc.total();
    }
}
