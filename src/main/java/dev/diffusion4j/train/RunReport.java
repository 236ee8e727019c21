package dev.diffusion4j.train;

import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.train.dashboard.StaticReport;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * report.html in the run folder: the dashboard's page in its static form (see {@link StaticReport}), with the run's
 * metrics, evaluations, config and launch record embedded and the charting library inlined, so it opens from disk
 * with no server and no network: loss, learning rate, gradient norm, throughput, sample quality and reconstruction
 * curves, the sample grids over training, the evaluation tables and the config.
 */
public final class RunReport {
    private RunReport() {}

    /**
     * Rewrites report.html during training at most once per interval: each write embeds the whole metrics log, so
     * writing it at every logged step would cost time that grows with the run (quadratic over a long run). The
     * trainers write it unconditionally after a grid or a checkpoint and at the end; the live page is the dashboard.
     */
    public static final class Throttled {
        private final RunDir run;
        private final long intervalNanos;
        private long last = Long.MIN_VALUE;

        public Throttled(RunDir run, java.time.Duration interval) {
            this.run = run;
            this.intervalNanos = interval.toNanos();
        }

        /** Writes the report if the interval has passed since the last write. */
        public void maybeWrite() {
            if (last == Long.MIN_VALUE || System.nanoTime() - last >= intervalNanos) write();
        }

        public void write() {
            RunReport.write(run);
            last = System.nanoTime();
        }
    }

    public static void write(RunDir run) {
        String html = StaticReport.html(run.root());
        try {
            AtomicFiles.writeString(run.reportFile(), html);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + run.reportFile() + ": " + e.getMessage(), e);
        }
    }
}
