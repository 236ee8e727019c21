package dev.diffusion4j.train.dashboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DashboardServerTest {
    @TempDir Path dir;
    Path runs, run, secret;
    DashboardServer server;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach void start() throws IOException {
        runs = dir.resolve("runs");
        run = RunFixtures.run(runs.resolve("a"), 100, 30);
        RunFixtures.grid(run, 20);
        RunFixtures.run(runs.resolve("sweep").resolve("b"), 50, 50);
        Files.createDirectories(run.resolve("previous-20260101-000000"));
        Files.writeString(run.resolve("previous-20260101-000000").resolve("config.json"), "{}");
        secret = Files.writeString(dir.resolve("secret.txt"), "not for the browser");
        server = DashboardServer.start(runs, "127.0.0.1", 0);
    }

    @AfterEach void stop() { server.close(); }

    HttpResponse<byte[]> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    Map<String, Object> json(String path) throws Exception {
        HttpResponse<byte[]> r = get(path);
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        return Json.parseObject(r.body());
    }

    @Test void listsTheRunsBelowTheFolderButNotSetAsideAttempts() throws Exception {
        Map<String, Object> list = json("api/runs");
        List<Object> rs = Json.getList(list, "runs");
        assertEquals(List.of("a", "sweep/b"), rs.stream().map(o -> ((Map<?, ?>) o).get("name")).toList());
        Map<?, ?> a = (Map<?, ?>) rs.get(0);
        assertEquals(30, ((Number) a.get("step")).intValue());
        assertEquals("stopped", a.get("state"));
        assertTrue(server.url().startsWith("http://127.0.0.1:"), server.url());
    }

    @Test void anExportedDiffusersFolderIsNoRunAndAFeatureRunWithItsModelIsFinished() throws Exception {
        Path unet = Files.createDirectories(runs.resolve("exported").resolve("unet"));   // what diffuse export writes
        Files.writeString(unet.resolve("config.json"), "{\"_class_name\": \"UNet2DModel\"}");
        Files.writeString(unet.resolve("diffusion_pytorch_model.safetensors"), "");
        Path feat = Files.createDirectories(runs.resolve("feat"));                         // what diffuse train-features writes
        Files.writeString(feat.resolve("config.json"), "{\"format\": \"diffusion4j-features/1\", \"steps\": 5}");
        RunFixtures.appendLine(feat, "{\"step\":5,\"loss_avg\":1.5,\"train_accuracy\":0.3,\"lr\":0.0002}");
        Map<?, ?> before = runNamed("feat");
        assertEquals("stopped", before.get("state"), "no model file yet: the trainer did not reach its end");
        Files.writeString(feat.resolve("model.safetensors"), "");
        List<Object> rs = Json.getList(json("api/runs"), "runs");
        assertEquals(List.of("a", "feat", "sweep/b"), rs.stream().map(o -> ((Map<?, ?>) o).get("name")).toList());
        assertEquals("finished", runNamed("feat").get("state"));
    }

    Map<?, ?> runNamed(String name) throws Exception {
        for (Object o : Json.getList(json("api/runs"), "runs")) if (name.equals(((Map<?, ?>) o).get("name"))) return (Map<?, ?>) o;
        throw new AssertionError("no run " + name);
    }

    @Test void aRunFolderGivenDirectlyIsTheOneRun() throws Exception {
        try (DashboardServer one = DashboardServer.start(run, "127.0.0.1", 0)) {
            String body = http.send(HttpRequest.newBuilder(URI.create(one.url() + "api/runs")).build(), HttpResponse.BodyHandlers.ofString()).body();
            List<Object> rs = Json.getList(Json.parseObject(body), "runs");
            assertEquals(1, rs.size());
            assertEquals("a", ((Map<?, ?>) rs.get(0)).get("name"));
        }
    }

    @Test void sendsOnlyTheNewRowsAndStartsOverWhenTheLogWasRewound() throws Exception {
        Map<String, Object> all = json("api/run?name=a");
        assertEquals(3, Json.getList(all, "rows").size());
        assertEquals(true, all.get("reset"));
        assertEquals(100, ((Number) all.get("total_steps")).intValue());
        assertEquals(16, ((Number) all.get("images_per_step")).intValue(), "batch 8 x 2 accumulated");
        Map<?, ?> grid = (Map<?, ?>) Json.getList(all, "grids").get(0);
        assertEquals(20, ((Number) grid.get("step")).intValue());
        assertEquals("samples/step-0000020.png", grid.get("file"));

        RunFixtures.appendStep(run, 40);
        Map<String, Object> news = json("api/run?name=a&from=3&last=30");
        assertEquals(false, news.get("reset"));
        List<Object> rows = Json.getList(news, "rows");
        assertEquals(1, rows.size());
        assertEquals(40, ((Number) ((Map<?, ?>) rows.get(0)).get("step")).intValue());

        // a resume rewound the log to step 20 and logged a different step 30: the page's row 3 is gone
        Files.writeString(run.resolve("metrics.jsonl"), "");
        for (long s : new long[] {10, 20, 25, 35}) RunFixtures.appendStep(run, s);
        Map<String, Object> again = json("api/run?name=a&from=4&last=40");
        assertEquals(true, again.get("reset"));
        assertEquals(4, Json.getList(again, "rows").size());
    }

    @Test void servesFilesOfTheRunFolder() throws Exception {
        HttpResponse<byte[]> png = get("file?run=a&path=samples/step-0000020.png");
        assertEquals(200, png.statusCode());
        assertEquals("image/png", png.headers().firstValue("Content-Type").orElse(""));
        assertArrayEquals(Files.readAllBytes(run.resolve("samples/step-0000020.png")), png.body());
        assertEquals(200, get("file?run=sweep%2Fb&path=config.json").statusCode());
    }

    @Test void refusesEveryPathOutsideTheRunFolder() throws Exception {
        for (String p : List.of("../../secret.txt", "..%2F..%2Fsecret.txt", "samples/../../../secret.txt", "%2E%2E/%2E%2E/secret.txt",
                URI.create("x:" + secret.toAbsolutePath()).getRawSchemeSpecificPart(), "/etc/passwd", "samples", "", "..", "samples%00.png",
                "..%5C..%5Csecret.txt")) {
            HttpResponse<byte[]> r = get("file?run=a&path=" + p);
            assertEquals(404, r.statusCode(), "path " + p);
            assertFalse(new String(r.body(), StandardCharsets.UTF_8).contains("not for the browser"), p);
        }
        for (String name : List.of("..", "../runs/a", "sweep", "sweep/../a", "a/previous-20260101-000000", "")) {
            assertEquals(404, get("file?run=" + name + "&path=config.json").statusCode(), "run " + name);
            assertEquals(404, get("api/run?name=" + name).statusCode(), "run " + name);
        }
        // a link inside the run folder that leads out of it
        Files.createSymbolicLink(run.resolve("samples/link.png"), secret);
        assertEquals(404, get("file?run=a&path=samples/link.png").statusCode());
        assertEquals(404, get("assets/..%2F..%2Fdashboard%2FDashboardServer.class").statusCode());
    }

    @Test void refusesRawPathTraversalOnTheWire() throws Exception {
        // what a hand-made client sends, unnormalised by any URI class
        for (String target : List.of("/file?run=a&path=../../secret.txt", "/../secret.txt", "/assets/../../secret.txt", "/file?run=../a&path=../../secret.txt")) {
            String response = raw("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertFalse(response.contains("not for the browser"), target + " -> " + response);
            assertTrue(response.startsWith("HTTP/1.1 404") || response.startsWith("HTTP/1.1 400"), target + " -> " + response);
        }
    }

    @Test void readOnlyAndOnlyForLocalhostNamesWhenBoundToLoopback() throws Exception {
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(server.url() + "api/runs")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
        String rebound = raw("GET /api/runs HTTP/1.1\r\nHost: attacker.example:" + server.port() + "\r\nConnection: close\r\n\r\n");
        assertTrue(rebound.startsWith("HTTP/1.1 403"), rebound);
        assertTrue(DashboardServer.localHostHeader("localhost:8700"));
        assertTrue(DashboardServer.localHostHeader("[::1]:8700"));
        assertFalse(DashboardServer.localHostHeader("127.0.0.1.attacker.example"));
    }

    @Test void servesThePageAndTheBundledChartLibrary() throws Exception {
        String page = new String(get("").body(), StandardCharsets.UTF_8);
        assertTrue(page.contains("assets/uPlot.iife.min.js") && page.contains("chart-loss"), page);
        HttpResponse<byte[]> lib = get("assets/uPlot.iife.min.js");
        assertEquals(200, lib.statusCode());
        assertTrue(new String(lib.body(), StandardCharsets.UTF_8).contains("uPlot"));
        assertNotEquals("missing", UplotVersion.VERSION);
        assertEquals(200, get("assets/dashboard.js").statusCode());
        assertEquals(404, get("assets/nothing.js").statusCode());
    }

    @Test void anInsideCheckThatNeedsNoServer() throws Exception {
        assertNull(DashboardServer.inside(run, "../secret.txt"));
        assertEquals(run.resolve("config.json").toRealPath(), DashboardServer.inside(run, "./samples/../config.json"));
    }

    @Test void aBusyPortIsOneClearError() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> DashboardServer.start(runs, "127.0.0.1", server.port()));
        assertTrue(e.getMessage().contains("choose another port"), e.getMessage());
    }

    private String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream o = s.getOutputStream();
            o.write(request.getBytes(StandardCharsets.US_ASCII));
            o.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
