package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.io.Json;
import dev.diffusion4j.train.MetricsLog;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.RunLock;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run folders under refused and unusual commands: refused resumes change no byte, damaged metrics lines survive a
 * resume, a folder without a checkpoint starts afresh, and a second writer is refused while the first holds the lock.
 */
class RunFolderTest {
    @TempDir static Path shared;
    @TempDir Path tmp;

    /** A finished 4-step run (cosine schedule, checkpoints at steps 2 and 4, a metrics line per step), copied per test. */
    static Path trained;

    @BeforeAll
    static void trainOnce() {
        trained = shared.resolve("trained");
        CliRun.of(CliRun.train(trained, "--steps", "4")).succeeded();
    }

    private Path copy() {
        Path run = tmp.resolve("run");
        CliRun.copyTree(trained, run);
        return run;
    }

    private static List<Long> loggedSteps(Path run) {
        return MetricsLog.read(run.resolve("metrics.jsonl")).stream().map(r -> ((Number) r.get("step")).longValue()).toList();
    }

    @Test
    void eachWeightingHasItsPapersGammaAndSavedGammasStay() {
        assertEquals("min-snr", RunDir.open(trained).config().diffusion().weighting());
        assertEquals(5.0, RunDir.open(trained).config().diffusion().gamma(), "min-SNR's gamma 5");
        Path p2 = tmp.resolve("p2");
        CliRun.of(CliRun.train(p2, "--steps", "1", "--weighting", "p2")).succeeded();
        assertEquals(1.0, RunDir.open(p2).config().diffusion().gamma(), "P2's gamma 1 (k = 1)");
        Path half = tmp.resolve("p2-half");
        CliRun.of(CliRun.train(half, "--steps", "1", "--weighting", "p2", "--snr-gamma", "0.5")).succeeded();
        assertEquals(0.5, RunDir.open(half).config().diffusion().gamma());
        // a run saved with p2 and gamma 5 (before p2 had its own default) keeps its 5
        var json = Json.parseObject(Json.write(RunDir.open(p2).config().toJson()));
        @SuppressWarnings("unchecked") var diffusion = (Map<String, Object>) json.get("diffusion");
        diffusion.put("gamma", 5.0);
        assertEquals(5.0, dev.diffusion4j.train.TrainConfig.fromJson(json).diffusion().gamma());
    }

    @Test
    void refusedResumesChangeNothing() {
        Path run = copy();
        Map<String, String> before = CliRun.snapshot(run);
        CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "2")
              .refused(1, "--steps 2 is not beyond the checkpoint at step 4", "nothing was changed");
        CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "4").refused(1, "--steps 4 is not beyond the checkpoint at step 4");
        CliRun.of("train", "--out", run.toString(), "--resume").refused(1, "is complete: its checkpoint is at step 4 of its 4 steps");
        CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "8", "--lr", "0.1", "--batch-size", "4", "--no-flip")
              .refused(1, "--lr, --batch-size, --no-flip cannot change", "--steps, --device");
        CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "8", "--lr-schedule", "constant").refused(1, "--lr-schedule cannot change");
        // the cosine schedule reached 0 at step 4: more steps would not train, unless the user asks for a new cycle
        CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "6")
              .refused(1, "already decayed to 0 by step 4", "--lr-schedule restart");
        CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "-6").refused(2, "--steps must be at least 1");
        CliRun.of(CliRun.train(run, "--steps", "4")).refused(1, "already holds a run (checkpoint at step 4)", "--resume");
        assertEquals(before, CliRun.snapshot(run), "a refused command changed the run folder");
    }

    @Test
    void resumeAppliesTheChangeableOptionsAndKeepsTheOldValuesInHistory() throws Exception {
        Path run = copy();
        String oldConfig = Files.readString(run.resolve("config.json"));
        CliRun r = CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "6", "--lr-schedule", "restart", "--log-every", "2").succeeded();
        assertTrue(r.out().contains("changed on resume: steps 4 -> 6, log_every 1 -> 2"), r.describe());
        assertTrue(r.out().contains("learning rate: a new cosine cycle from 0.00100000 at step 4 down to 0 at step 6"), r.describe());
        assertEquals(List.of(1L, 2L, 3L, 4L, 6L), loggedSteps(run));
        assertTrue(Files.isDirectory(run.resolve("checkpoints/step-0000006")));
        var cfg = RunDir.open(run).config();
        assertEquals(6, cfg.steps());
        assertEquals(2, cfg.logEvery());
        var history = Json.parseObject(Files.readAllLines(run.resolve("history.jsonl")).get(0));
        assertEquals(4L, ((Number) history.get("resumed_at_step")).longValue());
        assertEquals("{steps=[4, 6], log_every=[1, 2]}", history.get("changes").toString());
        assertTrue(oldConfig.contains("\"steps\": 4"), oldConfig);
    }

    @Test
    void resumeWithDamagedMetricsKeepsEveryLine() throws Exception {
        Path run = copy();
        Path metrics = run.resolve("metrics.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(metrics));
        assertEquals(4, lines.size());
        String damaged = lines.get(1).substring(0, 20) + "#garbage";
        String stringStep = "{\"step\": \"three\", \"loss\": 1}";
        lines.set(1, damaged);
        lines.add(2, stringStep);
        Files.writeString(metrics, String.join("\n", lines) + "\n{\"step\": 5, \"lo");   // and a torn last line
        assertEquals(List.of(1L, 3L, 4L), loggedSteps(run), "readers skip damaged lines and keep the rows after them");

        CliRun r = CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "6", "--lr-schedule", "restart").succeeded();
        assertTrue(r.out().contains("3 line(s) of metrics.jsonl (damaged, or past step 4) moved to"), r.describe());
        List<String> after = Files.readAllLines(metrics);
        assertEquals(lines.get(0), after.get(0));
        assertEquals(lines.get(3), after.get(1));
        assertEquals(lines.get(4), after.get(2));
        assertEquals(List.of(1L, 3L, 4L, 5L, 6L), loggedSteps(run));
        assertEquals(List.of(damaged, stringStep, "{\"step\": 5, \"lo"), Files.readAllLines(run.resolve("metrics.set-aside.jsonl")));
    }

    @Test
    void aFolderWithoutACheckpointHasNothingToResumeAndStartsAfresh() throws Exception {
        Path run = tmp.resolve("unfinished");
        RunDir.create(run, TrainConfigs.tiny());
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\": 1, \"loss\": 0.5}\n");
        Map<String, String> before = CliRun.snapshot(run);
        CliRun.of("train", "--out", run.toString(), "--resume").refused(1, "nothing to resume", "has no checkpoint yet", "without --resume");
        assertEquals(before, CliRun.snapshot(run));

        CliRun r = CliRun.of(CliRun.train(run, "--steps", "2")).succeeded();
        assertTrue(r.out().contains("held a run with no checkpoint; starting afresh"), r.describe());
        List<Path> previous;
        try (Stream<Path> s = Files.list(run)) {
            previous = s.filter(p -> p.getFileName().toString().startsWith("previous-")).toList();
        }
        assertEquals(1, previous.size());
        assertEquals("{\"step\": 1, \"loss\": 0.5}\n", Files.readString(previous.get(0).resolve("metrics.jsonl")), "the old metrics are kept");
        assertTrue(Files.exists(previous.get(0).resolve("config.json")));
        assertEquals(List.of(1L, 2L), loggedSteps(run));
    }

    @Test
    void aSecondWriterIsRefusedNamingTheFirst() {
        Path run = copy();
        Map<String, String> before;
        try (RunLock held = RunLock.acquire(run)) {
            before = CliRun.snapshot(run);
            String owner = "pid " + ProcessHandle.current().pid() + " on ";
            CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "6", "--lr-schedule", "restart")
                  .refused(1, "is being trained by another process (" + owner);
            assertEquals(before, CliRun.snapshot(run));
        }
        Path fresh = tmp.resolve("fresh");
        try (RunLock held = RunLock.acquire(fresh)) {
            CliRun.of(CliRun.train(fresh, "--steps", "2")).refused(1, "is being trained by another process");
            assertFalse(Files.exists(fresh.resolve("config.json")));
        }
    }

    @Test
    void aLockHeldByAnotherProcessRefusesUntilThatProcessDiesThenIsTakenOver() throws Exception {
        Path run = tmp.resolve("locked");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(), run.toString())
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("locked", r.readLine());
            RunLock.RunInUseException e = assertThrows(RunLock.RunInUseException.class, () -> RunLock.acquire(run));
            assertTrue(e.getMessage().contains("pid " + holder.pid() + " on "), e.getMessage());
            holder.destroyForcibly();         // kill -9: no chance to clean up
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        try (RunLock lock = RunLock.acquire(run)) {
            assertTrue(lock.staleOwner() != null && lock.staleOwner().startsWith("pid " + holder.pid() + " on "), lock.staleOwner());
        }
        try (RunLock again = RunLock.acquire(run)) {
            assertEquals(null, again.staleOwner(), "a lock released normally is not stale");
        }
    }

    /** Holds a run folder's lock until killed (for the two-process test). */
    public static final class LockHolder {
        public static void main(String[] args) throws Exception {
            RunLock lock = RunLock.acquire(Path.of(args[0]));
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(120_000);
            lock.close();
        }
    }
}
