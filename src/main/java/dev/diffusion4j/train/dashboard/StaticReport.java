package dev.diffusion4j.train.dashboard;

import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dashboard page as one self-contained file (a run's report.html): the same template, styles and script as the
 * live page, with uPlot inlined and the answers the page would ask the server for embedded as {@code
 * window.D4J_STATIC}. It opens from disk with no server and no network; its sample grids are read from the run's
 * samples/ folder beside it.
 */
public final class StaticReport {
    /** The script element that carries the embedded data; tests find the data by it. */
    static final String DATA_OPEN = "<script id=\"d4j-data\">window.D4J_STATIC = ";
    private static final String RES = "/dev/diffusion4j/train/dashboard/";
    private static final String UPLOT = "/META-INF/resources/webjars/uplot/" + UplotVersion.VERSION + "/dist/";

    private StaticReport() {}

    /** The page for the run folder {@code root}, its data read now. */
    public static String html(Path root) {
        String name = root.toAbsolutePath().normalize().getFileName().toString();
        Map<String, Object> detail = RunView.detail(name, root, 0, -1);
        detail.put("updated_seconds_ago", null);   // meaningless once the file is read later
        long total = ((Number) detail.get("total_steps")).longValue();
        long ckpt = RunView.checkpointStep(root);
        // the trainer writes the report while it still holds the lock: its last write, after the final checkpoint, is "finished"
        RunState state = ckpt >= total ? RunState.finished(ckpt) : RunView.state(root, total);
        detail.put("state", state.kind().id());
        detail.put("state_detail", state.kind() == RunState.Kind.TRAINING
                ? "training when this report was written (the trainer rewrites it every --log-every steps); " + state.detail()
                : state.detail());
        // the runs list's one line, from the rows already read (a long run's metrics are read once per report)
        @SuppressWarnings("unchecked") Map<String, Object> last = RunView.lastTraining((List<Map<String, Object>>) detail.get("rows"));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("name", name);
        summary.put("state", state.kind().id());
        summary.put("total_steps", total);
        summary.put("step", last == null ? 0 : last.get("step"));
        summary.put("loss_avg", last == null ? null : last.get("loss_avg"));
        Map<String, Object> runs = new LinkedHashMap<>();
        runs.put("root", root.toAbsolutePath().normalize().toString());
        runs.put("refresh_ms", 0);
        runs.put("runs", List.of(summary));
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("runs", runs);
        data.put("run", detail);
        data.put("written", Instant.now().toString());
        return page(data);
    }

    /** The template with its four asset links replaced by the assets themselves and the data script before the page's script. */
    static String page(Map<String, Object> data) {
        String t = resource(RES + "index.html");
        t = inline(t, "<link rel=\"stylesheet\" href=\"assets/uPlot.min.css\">", "<style>" + resource(UPLOT + "uPlot.min.css") + "</style>");
        t = inline(t, "<link rel=\"stylesheet\" href=\"assets/dashboard.css\">", "<style>" + resource(RES + "dashboard.css") + "</style>");
        t = inline(t, "<script src=\"assets/uPlot.iife.min.js\"></script>", script(resource(UPLOT + "uPlot.iife.min.js")));
        // "<" as \u003c keeps a "</script>" inside a config or a metric name from ending the element (JSON and JS read it back as "<")
        String json = Json.write(data).replace("<", "\\u003c");
        t = inline(t, "<script src=\"assets/dashboard.js\"></script>", DATA_OPEN + json + ";</script>\n" + script(resource(RES + "dashboard.js")));
        return t.replace("<a href=\"assets/uPlot-LICENSE\">uPlot</a>", "uPlot");
    }

    /** The data embedded in a page written by {@link #page}, parsed back (for tests and tools). */
    public static Map<String, Object> embeddedData(String html) {
        int i = html.indexOf(DATA_OPEN);
        if (i < 0) throw new IllegalArgumentException("no embedded dashboard data in this page");
        int start = i + DATA_OPEN.length();
        int end = html.indexOf(";</script>", start);
        return Json.parseObject(html.substring(start, end));
    }

    private static String script(String js) {
        // a script's text ends at the first "</script"; "<\/" means "</" inside JS strings and regular expressions
        return "<script>" + js.replace("</script", "<\\/script") + "</script>";
    }

    private static String inline(String template, String tag, String with) {
        int i = template.indexOf(tag);
        if (i < 0) throw new IllegalStateException("the dashboard template lost its " + tag);
        return template.substring(0, i) + with + template.substring(i + tag.length());
    }

    private static String resource(String name) {
        try (InputStream in = StaticReport.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing from the jar: " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name + " from the jar: " + e.getMessage(), e);
        }
    }
}
