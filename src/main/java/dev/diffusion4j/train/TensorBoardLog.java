package dev.diffusion4j.train;

import dev.diffusion4j.io.tensorboard.EventFileWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * A run's TensorBoard view, in RUN/tensorboard/: training ({@code train/}) logs its metrics rows as scalars (loss,
 * lr, grad norm, throughput under "train/", periodic sample-quality keys under "eval/") and its sample grids as
 * images; {@code diffuse eval} ({@code eval/}) logs its results under "eval/". Two sub-folders, so TensorBoard shows
 * them as two runs and a training run and an evaluation never append to one folder at once.
 */
public final class TensorBoardLog implements Trainer.Listener, AutoCloseable {
    /** Row keys that are not a measurement to plot. */
    private static final Set<String> NOT_PLOTTED = Set.of("step", MetricsLog.TIME, "images_seen", "eval_count", "count");

    private final EventFileWriter writer;

    private TensorBoardLog(EventFileWriter writer) { this.writer = writer; }

    /** The folder under the run that holds the event files. */
    public static Path dir(RunDir run) { return run.root().resolve("tensorboard"); }

    /** Whether the run logs to TensorBoard (it was trained with --tensorboard). */
    public static boolean enabled(RunDir run) { return Files.isDirectory(dir(run)); }

    /**
     * A new event file for training that goes on after {@code fromStep} (0 for a fresh run); points an earlier file
     * holds past that step are dropped by TensorBoard (the run continues from its checkpoint).
     */
    public static TensorBoardLog forTraining(RunDir run, long fromStep) {
        TensorBoardLog log = new TensorBoardLog(EventFileWriter.create(dir(run).resolve("train")));
        log.writer.sessionStart(fromStep + 1, now());
        return log;
    }

    /** A new event file for one {@code diffuse eval}. */
    public static TensorBoardLog forEval(RunDir run) {
        return new TensorBoardLog(EventFileWriter.create(dir(run).resolve("eval")));
    }

    public Path file() { return writer.file(); }

    /** Every numeric measurement of a metrics row, at its step: "train/KEY" on a training row (one with a loss), else "eval/KEY". */
    @Override public void onLog(Map<String, Object> row) {
        scalars(row.containsKey("loss") ? "train/" : "eval/", row);
    }

    /** Every numeric measurement of {@code row} (not its step, time or counts) as the scalar {@code prefix + key} at the row's step. */
    public void scalars(String prefix, Map<String, Object> row) {
        if (!(row.get("step") instanceof Number step)) return;
        double wall = MetricsLog.time(row).map(TensorBoardLog::seconds).orElseGet(TensorBoardLog::now);
        for (var e : row.entrySet())
            if (!NOT_PLOTTED.contains(e.getKey()) && e.getValue() instanceof Number v && Double.isFinite(v.doubleValue()))
                writer.scalar(prefix + e.getKey(), step.longValue(), v.doubleValue(), wall);
    }

    /** The sample grid PNG, as written, under the tag "samples". */
    @Override public void onGrid(long step, Path png) {
        try {
            writer.image("samples", step, Files.readAllBytes(png), now());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + png + " for TensorBoard: " + e.getMessage(), e);
        }
    }

    /** {@code first}'s calls, then this log's: the trainer takes one listener. */
    public Trainer.Listener after(Trainer.Listener first) {
        TensorBoardLog tb = this;
        return new Trainer.Listener() {
            @Override public void onStart(long startStep, long totalSteps) { first.onStart(startStep, totalSteps); }
            @Override public void onStep(long step, double loss) { first.onStep(step, loss); }
            @Override public void onLog(Map<String, Object> row) { first.onLog(row); tb.onLog(row); }
            @Override public void onGrid(long step, Path png) { first.onGrid(step, png); tb.onGrid(step, png); }
            @Override public void onCheckpoint(long step, Path dir) { first.onCheckpoint(step, dir); }
            @Override public void onNote(String message) { first.onNote(message); }
        };
    }

    @Override public void close() { writer.close(); }

    private static double now() { return seconds(Instant.now()); }

    private static double seconds(Instant t) { return t.getEpochSecond() + t.getNano() / 1e9; }
}
