package dev.diffusion4j.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * RUN/eval.jsonl: one line per {@code diffuse eval} of the run: "step" (the checkpoint scored), "time", "split",
 * "data", "count", "scored" (what the model was asked: the class-conditional model, its unconditional branch, or an
 * unconditional model) and the metrics (nll_bpd ..., fd, kid, precision, recall). Same line rules as metrics.jsonl.
 * report.html and the dashboard show them in a table (dashboard.js, renderCliEvals).
 */
public final class EvalLog {
    private EvalLog() {}

    public static Path file(RunDir run) { return run.root().resolve("eval.jsonl"); }

    /** Appends one evaluation; returns it as written (with its time). */
    public static Map<String, Object> append(RunDir run, Map<String, Object> row) {
        try (MetricsLog log = new MetricsLog(file(run))) {
            return log.append(row);
        }
    }

    public static List<Map<String, Object>> read(RunDir run) { return MetricsLog.read(file(run)); }

}
