package dev.diffusion4j.train.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** report.html is the dashboard's own page, made self-contained: no server, no network, the run's data inside. */
class StaticReportTest {
    @TempDir Path dir;

    @Test void thePageIsTheDashboardTemplateWithEverythingInlined() throws Exception {
        Path run = RunFixtures.run(dir.resolve("demo"), 100, 30);
        RunFixtures.grid(run, 20);
        String html = StaticReport.html(run);

        assertTrue(html.contains("id=\"chart-loss\"") && html.contains("id=\"latest-grid\"") && html.contains("id=\"cli-evals\""),
                "the dashboard's template");
        assertFalse(html.contains("assets/"), "no asset is fetched from a server");
        assertFalse(Pattern.compile("(src|href)=\"(https?:)?//").matcher(html).find(), "nothing is fetched from the network");
        assertTrue(html.contains("var uPlot=function()"), "uPlot is inlined");
        assertTrue(html.contains(".u-legend"), "uPlot's styles are inlined");
        assertTrue(html.contains("const STATIC = window.D4J_STATIC"), "the dashboard's own script is inlined");
        assertEquals(3, html.split("<script", -1).length - 1, "three inline scripts: uPlot, the data, the page's script");
        assertFalse(html.contains("<script src"), "and no external one");

        Map<String, Object> data = StaticReport.embeddedData(html);
        Map<String, Object> detail = Json.getObject(data, "run");
        assertEquals("demo", detail.get("name"));
        assertEquals(3, Json.getList(detail, "rows").size(), "metrics rows at steps 10, 20, 30");
        assertEquals(List.of(Map.of("step", 20L, "file", "samples/step-0000020.png")), detail.get("grids"));
        assertEquals("stopped", detail.get("state"), "no lock and no final checkpoint");
        List<Object> runs = Json.getList(Json.getObject(data, "runs"), "runs");
        assertEquals(1, runs.size());
        Map<?, ?> line = (Map<?, ?>) runs.get(0);
        assertEquals(List.of("demo", "stopped", 100L, 30L), List.of(line.get("name"), line.get("state"), line.get("total_steps"), line.get("step")),
                "the runs list's line, as the server's summary gives it");
        assertEquals(RunView.summary("demo", run), line);
    }

    @Test void aFinalCheckpointMakesTheReportFinishedAndEvalRecordsAreCarried() throws Exception {
        Path run = RunFixtures.run(dir.resolve("done"), 30, 30);
        RunFixtures.checkpoint(run, 30);
        Files.writeString(run.resolve("eval.jsonl"), "{\"step\":30,\"time\":\"2026-01-02T03:04:05Z\",\"split\":\"test\",\"count\":8,\"scored\":\"conditional\",\"nll_bpd\":3.25}\n");
        Map<String, Object> detail = Json.getObject(StaticReport.embeddedData(StaticReport.html(run)), "run");
        assertEquals("finished", detail.get("state"));
        assertEquals(3.25, ((Number) ((Map<?, ?>) Json.getList(detail, "evals").get(0)).get("nll_bpd")).doubleValue());
    }

    @Test void textThatLooksLikeMarkupCannotEndTheDataScript() throws Exception {
        Path run = RunFixtures.run(dir.resolve("odd"), 100, 10);
        String config = Files.readString(run.resolve("config.json")).replace("\"shapes\"", "\"</script><script>alert(1)</script><!--\"");
        Files.writeString(run.resolve("config.json"), config);
        String html = StaticReport.html(run);
        assertFalse(html.contains("alert(1)</script>"), "the config's text stays inside the data");
        assertEquals(config, Json.getObject(StaticReport.embeddedData(html), "run").get("config_text"), "and reads back unchanged");
    }

    /** During training the report is rewritten at logged steps at most once per interval; write() always writes. */
    @Test void theTrainersReportWritesAreThrottled() throws Exception {
        Path root = RunFixtures.run(dir.resolve("throttled"), 100, 30);
        dev.diffusion4j.train.RunDir run = dev.diffusion4j.train.RunDir.open(root);
        var report = new dev.diffusion4j.train.RunReport.Throttled(run, java.time.Duration.ofHours(1));
        report.maybeWrite();
        assertTrue(Files.isRegularFile(run.reportFile()), "the first logged step writes it");
        Files.delete(run.reportFile());
        report.maybeWrite();
        assertFalse(Files.exists(run.reportFile()), "not again within the interval");
        report.write();
        assertTrue(Files.isRegularFile(run.reportFile()), "a grid, a checkpoint or the end always writes it");
    }
}
