package dev.diffusion4j.train.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The live dashboard: a small HTTP server (the JDK's own, module jdk.httpserver) over one run folder or a folder of
 * runs. It serves the page and its scripts from the jar (uPlot included: no network needed to view), a JSON API the
 * page polls, and files from inside the run folders only. Read-only: it never writes to, or locks, a run folder.
 *
 * <p>Routes: {@code /} the page; {@code /assets/NAME} its fixed set of scripts and styles; {@code /api/runs} the run
 * list; {@code /api/run?name=N&from=K&last=S} one run (rows from K on, see {@link RunView#detail}); {@code
 * /file?run=N&path=P} a file P inside run N.
 */
public final class DashboardServer implements AutoCloseable {
    /** How often the page asks for news, in milliseconds. */
    public static final int REFRESH_MS = 2000;
    private static final String RES = "/dev/diffusion4j/train/dashboard/";
    private static final String UPLOT = "/META-INF/resources/webjars/uplot/" + UplotVersion.VERSION + "/dist/";
    private static final Map<String, String[]> ASSETS = Map.of(
            "dashboard.js", new String[] {RES + "dashboard.js", "text/javascript"},
            "dashboard.css", new String[] {RES + "dashboard.css", "text/css"},
            "uPlot.iife.min.js", new String[] {UPLOT + "uPlot.iife.min.js", "text/javascript"},
            "uPlot.min.css", new String[] {UPLOT + "uPlot.min.css", "text/css"},
            "uPlot-LICENSE", new String[] {"/META-INF/resources/webjars/uplot/" + UplotVersion.VERSION + "/LICENSE", "text/plain"});

    private final RunFolders runs;
    private final HttpServer server;
    private final ExecutorService pool;
    private final boolean loopbackOnly;
    private volatile java.util.function.IntConsumer beforeRunAnswer = n -> {};
    private final java.util.concurrent.atomic.AtomicInteger runAnswers = new java.util.concurrent.atomic.AtomicInteger();

    private DashboardServer(RunFolders runs, HttpServer server, ExecutorService pool, boolean loopbackOnly) {
        this.runs = runs;
        this.server = server;
        this.pool = pool;
        this.loopbackOnly = loopbackOnly;
    }

    /** Starts serving {@code root} (a run folder or a folder of runs) on {@code host}:{@code port} (port 0: any free one). */
    public static DashboardServer start(Path root, String host, int port) {
        InetAddress addr = address(host);
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(addr, port), 16);
        } catch (BindException e) {
            throw new IllegalArgumentException("cannot serve the dashboard on " + host + ":" + port + " (" + e.getMessage()
                    + "); choose another port, or 0 for any free one");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the dashboard server on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "dashboard-http");
            t.setDaemon(true);
            return t;
        });
        DashboardServer d = new DashboardServer(new RunFolders(root), server, pool, addr.isLoopbackAddress());
        server.createContext("/", d::handle);
        server.setExecutor(pool);
        server.start();
        return d;
    }

    /** Refuses, as {@link #start} would, an address this machine does not have or a port another program holds. */
    public static void checkFree(String host, int port) {
        try (var probe = new java.net.ServerSocket()) {
            probe.bind(new InetSocketAddress(address(host), port));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serve the dashboard on " + host + ":" + port + " (" + e.getMessage()
                    + "); choose another port, or 0 for any free one");
        }
    }

    private static InetAddress address(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (IOException e) {
            throw new IllegalArgumentException("dashboard host '" + host + "' is not an address this machine knows: " + e.getMessage());
        }
    }

    /** The page's address, e.g. http://127.0.0.1:8700/ (a wildcard bind shows as localhost). */
    public String url() {
        InetSocketAddress a = server.getAddress();
        String h = a.getAddress().isAnyLocalAddress() ? "localhost" : a.getAddress().getHostAddress();
        if (h.contains(":")) h = "[" + h + "]";
        return "http://" + h + ":" + a.getPort() + "/";
    }

    public int port() { return server.getAddress().getPort(); }

    /** Called with 1, 2, ... before each run-detail answer is read (tests change the run between two polls with it). */
    void beforeRunAnswer(java.util.function.IntConsumer c) { this.beforeRunAnswer = c; }

    @Override public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) { send(ex, 405, "text/plain", "read-only: GET only"); return; }
            if (loopbackOnly && !localHostHeader(ex.getRequestHeaders().getFirst("Host"))) {
                // a page on another site that renames itself to 127.0.0.1 (DNS rebinding) must not read the runs
                send(ex, 403, "text/plain", "this dashboard answers only to localhost addresses");
                return;
            }
            URI uri = ex.getRequestURI();
            String path = uri.getPath();
            Map<String, String> q = query(uri.getRawQuery());
            if (path.equals("/") || path.equals("/index.html")) sendResource(ex, RES + "index.html", "text/html");
            else if (path.startsWith("/assets/") && ASSETS.containsKey(path.substring(8))) {
                String[] a = ASSETS.get(path.substring(8));
                sendResource(ex, a[0], a[1]);
            } else if (path.equals("/api/runs")) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("root", runs.root().toString());
                out.put("refresh_ms", REFRESH_MS);
                out.put("runs", runs.summaries());
                sendJson(ex, out);
            } else if (path.equals("/api/run")) {
                Path root = runs.find(q.get("name"));
                if (root == null) { send(ex, 404, "text/plain", "no run called " + q.get("name")); return; }
                beforeRunAnswer.accept(runAnswers.incrementAndGet());
                sendJson(ex, RunView.detail(q.get("name"), root, intParam(q.get("from")), longParam(q.get("last"))));
            } else if (path.equals("/file")) {
                Path root = runs.find(q.get("run"));
                Path file = root == null ? null : inside(root, q.get("path"));
                if (file == null) { send(ex, 404, "text/plain", "not found"); return; }
                sendFile(ex, file);
            } else send(ex, 404, "text/plain", "not found");
        } catch (RuntimeException e) {
            send(ex, 500, "text/plain", "dashboard error: " + e.getMessage());
        }
    }

    /**
     * The regular file {@code rel} names inside {@code runRoot}, or null when it names anything outside it (.., an
     * absolute path, a link that leads out) or no regular file.
     */
    static Path inside(Path runRoot, String rel) {
        if (rel == null || rel.isEmpty() || rel.indexOf('\0') >= 0) return null;
        try {
            Path base = runRoot.toRealPath();
            Path p = base.resolve(rel).normalize();
            if (!p.startsWith(base) || !Files.isRegularFile(p)) return null;
            Path real = p.toRealPath();
            return real.startsWith(base) ? real : null;
        } catch (IOException | InvalidPathException e) {
            return null;
        }
    }

    static boolean localHostHeader(String host) {
        if (host == null) return true;   // HTTP/1.0 clients send none; the socket is loopback-bound anyway
        String h = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1) : host.replaceFirst(":\\d+$", "");
        h = h.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.equals("127.0.0.1") || h.equals("[::1]") || h.endsWith(".localhost");
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null) return out;
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) continue;
            try {
                out.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException bad) {
                // a malformed escape: the parameter is left out
            }
        }
        return out;
    }

    private static int intParam(String s) {
        try {
            return s == null ? 0 : Math.max(0, Integer.parseInt(s));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static long longParam(String s) {
        try {
            return s == null ? -1 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void sendJson(HttpExchange ex, Object body) throws IOException {
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        send(ex, 200, "application/json", Json.write(body));
    }

    private static void sendResource(HttpExchange ex, String name, String type) throws IOException {
        try (InputStream in = DashboardServer.class.getResourceAsStream(name)) {
            if (in == null) { send(ex, 404, "text/plain", "missing from the jar: " + name); return; }
            sendBytes(ex, 200, type, in.readAllBytes());
        }
    }

    private static void sendFile(HttpExchange ex, Path file) throws IOException {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        String type = n.endsWith(".png") ? "image/png" : n.endsWith(".json") ? "application/json" : n.endsWith(".html") ? "text/html"
                : n.endsWith(".jsonl") || n.endsWith(".txt") || n.endsWith(".lock") ? "text/plain" : "application/octet-stream";
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        sendBytes(ex, 200, type, Files.readAllBytes(file));
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        sendBytes(ex, status, type, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void sendBytes(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type.startsWith("image/") || type.equals("application/octet-stream") ? type : type + "; charset=utf-8");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) try (OutputStream out = ex.getResponseBody()) { out.write(body); }
    }
}
