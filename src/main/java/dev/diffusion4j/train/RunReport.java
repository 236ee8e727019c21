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

    public static void write(RunDir run) {
        String html = StaticReport.html(run.root());
        try {
            AtomicFiles.writeString(run.reportFile(), html);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + run.reportFile() + ": " + e.getMessage(), e);
        }
    }
}
