package dev.diffusion4j.train.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard page in a real browser (headless chromium): its charts draw the metrics with axis ticks, the sample
 * grid shows with its step and class labels, and a metrics line appended while the page is open shows on its next
 * poll. Skips, saying why, where no chromium is installed (.ci/run installs Debian's).
 */
class DashboardBrowserTest {
    @TempDir Path dir;

    @Test void thePageDrawsTheRunAndFollowsItAsItTrains() throws Exception {
        Optional<HeadlessChromium> browser = HeadlessChromium.find();
        if (browser.isEmpty()) System.out.println("DashboardBrowserTest skipped: no chromium on PATH (apt-get install chromium, or set CHROMIUM)");
        Assumptions.assumeTrue(browser.isPresent(), "no chromium on PATH (apt-get install chromium, or set CHROMIUM)");

        Path run = RunFixtures.run(dir.resolve("runs").resolve("demo"), 100, 30);
        RunFixtures.grid(run, 20);
        Launches.append(run, "diffuse train --out runs/demo --steps 100", "cpu", List.of("circle", "square", "triangle"));
        RunFixtures.appendLine(run, "{\"step\":20,\"fd\":12.5,\"kid\":0.031,\"kid_std\":0.002,\"eval_features\":\"pixels-8x8\",\"eval_count\":200}");
        try (DashboardServer server = DashboardServer.start(dir.resolve("runs"), "127.0.0.1", 0)) {
            // the page's second poll finds one more training line: what a live run does between two polls
            server.beforeRunAnswer(n -> {
                if (n == 2) {
                    try {
                        RunFixtures.appendStep(run, 40);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
            Path profile = Files.createDirectories(dir.resolve("profile"));
            String dom = browser.get().dumpDom(server.url(), 9000, profile);

            assertTrue(Integer.parseInt(attr(dom, "body", "data-updated")) >= 2, "the page polled again:\n" + dom);
            assertEquals("40", attr(dom, "stats", "data-step"), "the appended step shows");
            assertTrue(dom.contains("id=\"stat-step\">40 / 100<"), "step cell");
            String loss = element(dom, "chart-loss");
            assertEquals("12", attr(loss, "chart-loss", "data-points"), "3 loss series x 4 logged steps");
            assertTrue(loss.contains("<canvas"), "uPlot drew on a canvas: " + loss);
            List<String> xticks = List.of(attr(loss, "chart-loss", "data-xticks").split(" "));
            assertTrue(xticks.contains("10") && xticks.contains("40"), "step axis ticks reach the new step: " + xticks);
            String yticks = attr(loss, "chart-loss", "data-yticks");
            assertFalse(yticks.isBlank(), "loss axis has ticks");
            assertTrue(yticks.contains("0.2"), "a log axis over losses 0.16 .. 0.32 labels 0.2: " + yticks);
            assertEquals("4", attr(dom, "chart-lr", "data-points"));
            assertEquals("4", attr(dom, "chart-eta", "data-points"), "ETA from img/s and 16 images per step");
            assertEquals("1", attr(dom, "chart-fd", "data-points"), "the evaluation record's FD");
            assertTrue(dom.contains("badge stopped"), "no lock and no final checkpoint: stopped");
            assertTrue(dom.matches("(?s).*id=\"grid-image\"[^>]*src=\"file\\?run=demo&amp;path=samples%2Fstep-0000020\\.png.*")
                    || dom.matches("(?s).*src=\"file\\?run=demo&amp;path=samples%2Fstep-0000020\\.png[^\"]*\"[^>]*id=\"grid-image\".*"), "grid image:\n" + dom);
            assertTrue(dom.contains("latest: step 20"), "grid caption with its step");
            assertTrue(dom.contains("0: circle") && dom.contains("2: triangle"), "class labels beside the grid rows");
            assertTrue(dom.contains("diffuse train --out runs/demo --steps 100"), "the command line");
            assertTrue(dom.contains("n/a: this run's metrics carry no GPU memory figures"), "GPU memory n/a");
        }
    }

    /** report.html opened from disk (file://, no server): the same page draws the embedded curves, grid and evaluations. */
    @Test void theStaticReportDrawsTheRunFromDisk() throws Exception {
        Optional<HeadlessChromium> browser = HeadlessChromium.find();
        Assumptions.assumeTrue(browser.isPresent(), "no chromium on PATH (apt-get install chromium, or set CHROMIUM)");

        Path run = RunFixtures.run(dir.resolve("demo"), 100, 40);
        RunFixtures.grid(run, 20);
        Launches.append(run, "diffuse train --out runs/demo --steps 100", "cpu", List.of("circle", "square", "triangle"));
        Files.writeString(run.resolve("eval.jsonl"),
                "{\"step\":40,\"time\":\"2026-01-02T03:04:05Z\",\"split\":\"test\",\"count\":8,\"scored\":\"conditional\",\"nll_bpd\":3.25}\n");
        // reconstruction-quality lines, as train-autoencoder logs them with its grids
        RunFixtures.appendLine(run, "{\"step\":20,\"psnr\":18.5,\"ssim\":0.61}");
        RunFixtures.appendLine(run, "{\"step\":40,\"psnr\":21.25,\"ssim\":0.72}");
        Path report = run.resolve("report.html");
        Files.writeString(report, StaticReport.html(run));
        Path profile = Files.createDirectories(dir.resolve("profile"));
        String dom = browser.get().dumpDom(report.toUri().toString(), 3000, profile);

        assertEquals("static", attr(dom, "body", "data-mode"));
        assertTrue(dom.contains("<span class=\"dim\">run report</span>"), "the header names the page");
        assertEquals("1", attr(dom, "body", "data-updated"), "drawn once, from the embedded data; nothing polls");
        assertEquals("40", attr(dom, "stats", "data-step"));
        String loss = element(dom, "chart-loss");
        assertEquals("12", attr(loss, "chart-loss", "data-points"), "3 loss series x 4 logged steps");
        assertTrue(loss.contains("<canvas"), "uPlot drew on a canvas: " + loss);
        assertTrue(List.of(attr(loss, "chart-loss", "data-xticks").split(" ")).contains("40"), "step axis");
        assertFalse(attr(loss, "chart-loss", "data-yticks").isBlank(), "loss axis has ticks");
        assertEquals("4", attr(dom, "chart-speed", "data-points"), "throughput");
        assertTrue(dom.contains("src=\"samples/step-0000020.png\""), "the grid, read beside report.html:\n" + dom);
        assertTrue(dom.contains("latest: step 20") && dom.contains("0: circle"), "grid caption and class labels");
        String evals = element(dom, "cli-evals");
        assertTrue(evals.contains(">3.250<") && evals.contains(">conditional<") && evals.contains("2026-01-02 03:04:05"), evals);
        assertTrue(dom.contains("Static report written"), "the footer says what the page is");
        assertEquals("2", attr(dom, "chart-psnr", "data-points"), "the PSNR curve");
        assertEquals("2", attr(dom, "chart-ssim", "data-points"), "the SSIM curve");
        assertTrue(dom.contains("id=\"grids-title\">Input / reconstruction pairs over training<"), "an autoencoder's grids are pairs");
        assertTrue(dom.contains("&quot;steps&quot;: 100") || dom.contains("\"steps\": 100"), "the config");
    }

    /** The opening tag of the element with {@code id} and what follows it up to the next section. */
    private static String element(String dom, String id) {
        int i = dom.indexOf("id=\"" + id + "\"");
        assertTrue(i >= 0, "no element " + id);
        int start = dom.lastIndexOf('<', i);
        int end = dom.indexOf("</section>", i);
        return dom.substring(start, end < 0 ? dom.length() : end);
    }

    /** Attribute {@code name} of the element with {@code id} (or of the body tag when id is "body"). */
    private static String attr(String dom, String id, String name) {
        Matcher tag = Pattern.compile(id.equals("body") ? "<body[^>]*>" : "<[a-z]+[^>]*id=\"" + Pattern.quote(id) + "\"[^>]*>").matcher(dom);
        assertTrue(tag.find(), "no element " + id);
        Matcher a = Pattern.compile(name + "=\"([^\"]*)\"").matcher(tag.group());
        assertTrue(a.find(), "no " + name + " on " + tag.group());
        return a.group(1);
    }
}
