package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.data.Pngs;
import dev.diffusion4j.train.MetricsLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train-classifier on the shapes of a tiny unconditional run, then sampling that run with --classifier. */
class ClassifierGuidanceCliTest {
    @TempDir static Path dir;
    static Path base, clf;
    static CliRun trained;

    @BeforeAll static void trainBaseAndClassifier() {
        base = dir.resolve("base");
        clf = dir.resolve("clf");
        CliRun.of(CliRun.train(base, "--steps", "2", "--no-class-conditional")).succeeded();
        trained = CliRun.of("train-classifier", "--run", base.toString(), "--out", clf.toString(), "--steps", "3", "--batch-size", "8",
                "--checkpoint-every", "2", "--log-every", "1", "--device", "cpu").succeeded();
    }

    @Test void reportsAccuracyByNoiseLevelOnScreenAndInMetrics() {
        assertTrue(trained.out().contains("accuracy by noise level"), trained.describe());
        for (String bucket : List.of("t    0-249", "t  250-499", "t  500-749", "t  750-999")) assertTrue(trained.out().contains(bucket), trained.describe());
        assertTrue(trained.out().contains("next: ") && trained.out().contains("sample --run " + base + " --classifier " + clf), trained.describe());
        List<Map<String, Object>> rows = MetricsLog.read(clf.resolve("metrics.jsonl"));
        Map<String, Object> last = rows.get(rows.size() - 1);
        for (String k : List.of("accuracy_t0-249", "accuracy_t250-499", "accuracy_t500-749", "accuracy_t750-999")) {
            double a = ((Number) last.get(k)).doubleValue();
            assertTrue(a >= 0 && a <= 1, k + " = " + a);
        }
        assertEquals(6, ((Number) last.get("accuracy_count")).intValue(), "every 10th of the 64 shapes is held out");
        assertTrue(rows.stream().anyMatch(r -> r.containsKey("train_accuracy")));
        assertTrue(Files.isDirectory(clf.resolve("checkpoints").resolve("step-0000003")));
    }

    @Test void guidedSamplingGivesImagesOfTheRunsShapeWithEachSampler() {
        for (String sampler : List.of("ddpm", "ddim")) {
            Path imgs = dir.resolve("imgs-" + sampler);
            CliRun r = CliRun.of("sample", "--run", base.toString(), "--classifier", clf.toString(), "--classifier-scale", "2", "--count", "5",
                    "--sampler", sampler, "--steps", "3", "--images", imgs.toString(), "--grid", dir.resolve(sampler + ".png").toString(),
                    "--device", "cpu").succeeded();
            assertTrue(r.out().contains("one row per class") && r.out().contains("at scale 2.0"), r.describe());
            for (int i = 0; i < 5; i++) {
                Pngs.Image im = Pngs.read(imgs.resolve(String.format("%05d.png", i)), 3);
                assertEquals(8, im.h());
                assertEquals(8, im.w());
            }
        }
    }

    @Test void resumeTrainsFurtherAndRefusesChanges() {
        Path copy = dir.resolve("clf-copy");
        CliRun.copyTree(clf, copy);
        CliRun r = CliRun.of("train-classifier", "--out", copy.toString(), "--resume", "--steps", "4", "--device", "cpu").succeeded();
        assertTrue(Files.isDirectory(copy.resolve("checkpoints").resolve("step-0000004")), r.describe());
        CliRun.of("train-classifier", "--out", copy.toString(), "--resume", "--lr", "1", "--steps", "9").refused(2, "--lr cannot change");
    }

    @Test void anInterruptedRunResumedFromItsCheckpointEndsBitForBitAsAnUninterruptedOne() throws Exception {
        Path whole = dir.resolve("whole"), cut = dir.resolve("cut");
        CliRun.of("train-classifier", "--run", base.toString(), "--out", whole.toString(), "--steps", "4", "--batch-size", "8",
                "--checkpoint-every", "2", "--device", "cpu").succeeded();
        CliRun.copyTree(whole, cut);
        // as if it had stopped after the step-2 checkpoint
        for (Path p : List.of(cut.resolve("checkpoints").resolve("step-0000004").resolve("model.safetensors"),
                cut.resolve("checkpoints").resolve("step-0000004").resolve("optimizer.safetensors"),
                cut.resolve("checkpoints").resolve("step-0000004").resolve("state.json"))) Files.delete(p);
        Files.delete(cut.resolve("checkpoints").resolve("step-0000004"));
        CliRun.of("train-classifier", "--out", cut.toString(), "--resume", "--device", "cpu").succeeded();
        for (String f : List.of("model.safetensors", "optimizer.safetensors"))
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(whole.resolve("checkpoints/step-0000004").resolve(f)),
                    Files.readAllBytes(cut.resolve("checkpoints/step-0000004").resolve(f))), f + " differs after resume");
    }

    @Test void mismatchesAreRefusedBeforeSampling() {
        Path other = dir.resolve("base16");
        CliRun.of(CliRun.train(other, "--steps", "1", "--no-class-conditional", "--schedule", "linear")).succeeded();
        CliRun.of("sample", "--run", other.toString(), "--classifier", clf.toString(), "--count", "1", "--device", "cpu")
                .refused(1, "another noise schedule");
        CliRun.of("sample", "--run", base.toString(), "--classifier", base.toString(), "--device", "cpu").refused(1, "is not a classifier run");
        CliRun.of("sample", "--run", base.toString(), "--classifier", clf.toString(), "--class", "none", "--device", "cpu").refused(1, "drop --class none");
        CliRun.of("train-classifier", "--out", dir.resolve("none").toString()).refused(2, "give --run");
        CliRun.of("train-classifier", "--run", base.toString(), "--out", other.toString(), "--steps", "1", "--device", "cpu")
                .refused(1, "holds another kind of run");
    }
}
