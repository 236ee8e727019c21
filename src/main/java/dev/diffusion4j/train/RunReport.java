package dev.diffusion4j.train;

import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/** report.html in the run folder: loss curve, sample grids over time, throughput and the config, in one static page. */
public final class RunReport {
    private RunReport() {}

    public static void write(RunDir run) {
        List<Map<String, Object>> rows = MetricsLog.read(run.metricsFile());
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>diffusion4j run ").append(esc(run.root().getFileName().toString()))
         .append("</title><style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}")
         .append("h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}")
         .append("figure{display:inline-block;margin:0 12px 12px 0}figcaption{font-size:.85em;color:#555}img{image-rendering:pixelated;min-width:256px;max-width:100%}")
         .append("pre{background:#f6f6f6;padding:1em;overflow:auto}</style></head><body>");
        h.append("<h1>Training run: ").append(esc(run.root().toString())).append("</h1>");
        if (rows.isEmpty()) h.append("<p>No steps logged yet.</p>");
        else {
            List<Map<String, Object>> steps = rows.stream().filter(r -> r.containsKey("loss_avg")).toList();
            Map<String, Object> last = steps.isEmpty() ? rows.get(rows.size() - 1) : steps.get(steps.size() - 1);
            h.append("<table><tr><th>step</th><th>loss (avg)</th><th>lr</th><th>grad norm</th><th>img/s</th><th>images seen</th></tr><tr>")
             .append(td(last.get("step"))).append(td(fmt(last.get("loss_avg")))).append(td(fmt(last.get("lr"))))
             .append(td(fmt(last.get("grad_norm")))).append(td(fmt(last.get("img_per_s")))).append(td(last.get("images_seen")))
             .append("</tr></table>");
            h.append("<h2>Loss</h2>").append(lossCurve(rows));
            if (rows.stream().anyMatch(r -> r.containsKey("fd"))) {
                Object net = rows.stream().filter(r -> r.containsKey("eval_features")).reduce((a, b) -> b).map(r -> r.get("eval_features")).orElse("?");
                h.append("<h2>Sample quality (").append(esc(String.valueOf(net))).append(")</h2>")
                 .append(curve(rows, "fd", "Fréchet distance of EMA samples (log scale)"));
                if (rows.stream().anyMatch(r -> r.get("kid") instanceof Number k && k.doubleValue() > 0))
                    h.append(curve(rows, "kid", "kernel distance of EMA samples (log scale)"));
            }
        }
        boolean autoencoder = rows.stream().anyMatch(r -> r.containsKey("psnr"));   // a train-autoencoder run
        if (autoencoder)
            h.append("<h2>Reconstruction quality (EMA weights, grid images)</h2>").append(curve(rows, "psnr", "PSNR of reconstructions in dB (log scale)"))
             .append(curve(rows, "ssim", "SSIM of reconstructions (log scale)"));
        h.append(EvalLog.html(run));
        h.append(autoencoder ? "<h2>Input / reconstruction pairs over training</h2>" : "<h2>EMA samples over training</h2>");
        List<Path> grids = grids(run.samplesDir());
        if (grids.isEmpty()) h.append("<p>No sample grid yet.</p>");
        for (Path g : grids) {
            String name = g.getFileName().toString();
            h.append("<figure><img src=\"samples/").append(esc(name)).append("\" alt=\"").append(esc(name)).append("\"><figcaption>")
             .append(esc(name.replace(".png", ""))).append("</figcaption></figure>");
        }
        try {
            h.append("<h2>Config</h2><pre>").append(esc(Files.readString(run.configFile()))).append("</pre>");
            h.append("</body></html>\n");
            AtomicFiles.writeString(run.reportFile(), h.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + run.reportFile() + ": " + e.getMessage(), e);
        }
    }

    /** An inline SVG of loss_avg against step on a log scale (losses span decades early in training). */
    static String lossCurve(List<Map<String, Object>> rows) {
        return curve(rows, "loss_avg", "training loss (log scale)");
    }

    /** An inline SVG of a positive metric against step on a log scale; rows without the key are skipped. */
    static String curve(List<Map<String, Object>> rows, String key, String caption) {
        int w = 720, hgt = 260, pad = 48;
        double minS = Double.MAX_VALUE, maxS = -Double.MAX_VALUE, minL = Double.MAX_VALUE, maxL = -Double.MAX_VALUE;
        List<double[]> pts = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            Object s = r.get("step"), l = r.get(key);
            if (!(s instanceof Number sn) || !(l instanceof Number ln) || !(ln.doubleValue() > 0)) continue;
            double x = sn.doubleValue(), y = Math.log10(ln.doubleValue());
            pts.add(new double[] {x, y});
            minS = Math.min(minS, x); maxS = Math.max(maxS, x); minL = Math.min(minL, y); maxL = Math.max(maxL, y);
        }
        if (pts.size() < 2) return "<p>Not enough points for a curve yet.</p>";
        if (maxL - minL < 1e-9) { maxL += 0.5; minL -= 0.5; }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">", w, hgt, w, hgt));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"10\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#bbb\"/>", pad, w - pad - 10, hgt - pad - 10));
        sb.append("<polyline fill=\"none\" stroke=\"#1f6fd1\" stroke-width=\"1.5\" points=\"");
        for (double[] p : pts) {
            double x = pad + (p[0] - minS) / Math.max(1e-9, maxS - minS) * (w - pad - 10);
            double y = 10 + (1 - (p[1] - minL) / (maxL - minL)) * (hgt - pad - 10);
            sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        sb.append("\"/>");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>", 2, 20, fmt(Math.pow(10, maxL))));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>", 2, hgt - pad, fmt(Math.pow(10, minL))));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">step %d</text>", pad, hgt - pad + 18, (long) minS));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">step %d</text>", w - 10, hgt - pad + 18, (long) maxS));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>", w / 2, hgt - 8, esc(caption)));
        return sb.append("</svg>").toString();
    }

    private static List<Path> grids(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+\\.png")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String td(Object v) { return "<td>" + esc(String.valueOf(v)) + "</td>"; }

    static String fmt(Object v) {
        if (!(v instanceof Number n)) return String.valueOf(v);
        double d = n.doubleValue();
        return Math.abs(d) >= 100 || d == 0 ? String.format(Locale.ROOT, "%.1f", d) : String.format(Locale.ROOT, "%.4g", d);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
