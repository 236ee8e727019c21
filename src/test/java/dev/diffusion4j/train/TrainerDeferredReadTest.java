package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.*;
import dev.diffusion4j.data.Datasets;
import java.nio.file.Path;
import java.util.*;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer reads a step's loss and norm after queueing the next step (on steps that log, sample, evaluate or
 * checkpoint at once): the metrics rows, the listener's calls and the result are what reading every step at once gives.
 */
class TrainerDeferredReadTest {
    @TempDir Path tmp;

    static String[] args(Path out, int logEvery) {
        return new String[] {"train", "--out", out.toString(), "--data", "shapes:512", "--preset", "tiny", "--image-size", "8",
            "--batch-size", "4", "--grad-accum", "2", "--steps", "11", "--checkpoint-every", "5", "--log-every", Integer.toString(logEvery),
            "--sample-every", "1000", "--grid-size", "4", "--sample-steps", "2", "--warmup", "5", "--device", "cpu", "--grad-clip", "0.5"};
    }

    @Test
    void deferredReadsGiveTheSameRowsAsImmediateOnes() {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        TrainerTest.run(args(a, 4));   // deferred reads between log steps
        TrainerTest.run(args(b, 1));   // every step a boundary
        List<Map<String, Object>> ra = new ArrayList<>(), rb = new ArrayList<>();
        for (var r : MetricsLog.read(a.resolve("metrics.jsonl"))) if (r.containsKey("loss")) ra.add(r);
        for (var r : MetricsLog.read(b.resolve("metrics.jsonl"))) if (r.containsKey("loss")) rb.add(r);
        assertEquals(11, rb.size());
        assertEquals(List.of(4L, 8L, 11L), ra.stream().map(r -> ((Number) r.get("step")).longValue()).toList());
        int prev = 0;
        for (var r : ra) {
            int s = ((Number) r.get("step")).intValue();
            double l = 0, g = 0;
            for (int i = prev; i < s; i++) { l += ((Number) rb.get(i).get("loss")).doubleValue(); g += ((Number) rb.get(i).get("grad_norm")).doubleValue(); }
            assertEquals(((Number) rb.get(s - 1).get("loss")).doubleValue(), ((Number) r.get("loss")).doubleValue(), 0);
            assertEquals(l / (s - prev), ((Number) r.get("loss_avg")).doubleValue(), 1e-12);
            assertEquals(g / (s - prev), ((Number) r.get("grad_norm")).doubleValue(), 1e-12);
            assertEquals(((Number) rb.get(s - 1).get("images_seen")).longValue(), ((Number) r.get("images_seen")).longValue());
            prev = s;
        }
    }

    @Test
    void listenerSeesEveryStepOnceInOrderAndResultHasTheLastLoss() {
        Path probe = tmp.resolve("probe");
        TrainerTest.run(args(probe, 4));
        TrainConfig cfg = RunDir.open(probe).config().withSteps(9);
        RunDir dir = RunDir.create(tmp.resolve("lib"), cfg);
        List<Long> steps = new ArrayList<>(); List<Double> losses = new ArrayList<>();
        var res = new Trainer(dir, Datasets.open("shapes:512", 3, 8)).train(false, new Trainer.Listener() {
            @Override public void onStep(long step, double loss) { steps.add(step); losses.add(loss); }
        });
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), steps);
        assertEquals(losses.get(losses.size() - 1), res.lastLoss());
    }
}
