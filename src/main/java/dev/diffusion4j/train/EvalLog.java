package dev.diffusion4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * RUN/eval.jsonl: one line per {@code diffuse eval} of the run: "step" (the checkpoint scored), "time", "split",
 * "data", "count", "scored" (what the model was asked: the class-conditional model, its unconditional branch, or an
 * unconditional model) and the metrics (nll_bpd ..., fd, kid, precision, recall). Same line rules as metrics.jsonl.
 */
public final class EvalLog {
    private EvalLog() {}

    /** Keys of a line that describe the evaluation rather than measure it. */
    private static final Set<String> DESCRIPTIVE = Set.of("step", MetricsLog.TIME, "split", "data", "count", "scored", "eval_features", "eval_count");

    public static Path file(RunDir run) { return run.root().resolve("eval.jsonl"); }

    /** Appends one evaluation; returns it as written (with its time). */
    public static Map<String, Object> append(RunDir run, Map<String, Object> row) {
        try (MetricsLog log = new MetricsLog(file(run))) {
            return log.append(row);
        }
    }

    public static List<Map<String, Object>> read(RunDir run) { return MetricsLog.read(file(run)); }

    /** The evaluations as an HTML table for report.html, or "" when there are none. */
    static String html(RunDir run) {
        List<Map<String, Object>> rows = read(run);
        if (rows.isEmpty()) return "";
        Set<String> metrics = new LinkedHashSet<>();
        for (Map<String, Object> r : rows)
            for (var e : r.entrySet()) if (!DESCRIPTIVE.contains(e.getKey()) && e.getValue() instanceof Number) metrics.add(e.getKey());
        List<String> head = new ArrayList<>(List.of("time (UTC)", "checkpoint", "split", "images", "scored", "features"));
        head.addAll(metrics);
        StringBuilder h = new StringBuilder("<h2>Evaluations (diffuse eval)</h2><table><tr>");
        for (String c : head) h.append("<th>").append(RunReport.esc(c)).append("</th>");
        h.append("</tr>");
        for (Map<String, Object> r : rows) {
            h.append("<tr>");
            cell(h, r.get(MetricsLog.TIME) instanceof String t ? t.replace('T', ' ').replace("Z", "") : "");
            for (String k : List.of("step", "split", "count", "scored", "eval_features")) cell(h, r.containsKey(k) ? String.valueOf(r.get(k)) : "");
            for (String m : metrics) cell(h, r.containsKey(m) ? RunReport.fmt(r.get(m)) : "");
            h.append("</tr>");
        }
        return h.append("</table>").toString();
    }

    private static void cell(StringBuilder h, String s) { h.append("<td>").append(RunReport.esc(s)).append("</td>"); }
}
