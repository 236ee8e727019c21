package dev.diffusion4j.train.dashboard;

import dev.diffusion4j.io.Json;
import dev.diffusion4j.train.FeatureRun;
import dev.diffusion4j.train.MetricsLog;
import dev.diffusion4j.train.RunDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the dashboard page is sent about one run folder, read afresh on every request: its state, the metrics rows
 * from a given row on (so a page polling a long run fetches only what is new), the sample grids, the config and the
 * newest launch record. The config is read loosely (a map, not {@code TrainConfig}), so a run written by another
 * version, or a half-written folder, still shows what it has.
 */
public final class RunView {
    private static final Pattern GRID = Pattern.compile("step-(\\d+)\\.png");

    private RunView() {}

    /** The short line of the runs list: name, state, step reached, last loss. */
    public static Map<String, Object> summary(String name, Path root) {
        Map<String, Object> config = config(root);
        List<Map<String, Object>> rows = MetricsLog.read(root.resolve("metrics.jsonl"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        long total = Json.getLong(config, "steps", 0);
        out.put("state", state(root, total).kind().id());
        out.put("total_steps", total);
        Map<String, Object> last = lastTraining(rows);
        out.put("step", last == null ? 0 : last.get("step"));
        out.put("loss_avg", last == null ? null : last.get("loss_avg"));
        return out;
    }

    /**
     * Everything about the run; rows from index {@code from} when the row before it still has step {@code lastStep}
     * (else all rows, with "reset": a resume rewound the log, or the page is new).
     */
    public static Map<String, Object> detail(String name, Path root, int from, long lastStep) {
        Map<String, Object> config = config(root);
        List<Map<String, Object>> rows = MetricsLog.read(root.resolve("metrics.jsonl"));
        boolean keep = from > 0 && from <= rows.size() && rows.get(from - 1).get("step") instanceof Number s && s.longValue() == lastStep;
        int start = keep ? from : 0;
        long total = Json.getLong(config, "steps", 0);
        Map<String, Object> optim = Json.getObject(config, "optim"), model = Json.getObject(config, "model");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        out.put("path", root.toAbsolutePath().normalize().toString());
        RunState state = state(root, total);
        out.put("state", state.kind().id());
        out.put("state_detail", state.detail());
        out.put("updated_seconds_ago", secondsSinceModified(root.resolve("metrics.jsonl")));
        out.put("total_steps", total);
        out.put("images_per_step", optim == null ? null : Json.getLong(optim, "batch_size", 0) * Json.getLong(optim, "grad_accum", 1));
        out.put("device", config.getOrDefault("device", "?"));
        out.put("class_conditional", Json.getBoolean(config, "class_conditional", false));
        out.put("num_classes", model == null ? 0 : Json.getInt(model, "num_classes", 0));
        out.put("config_text", configText(root));
        List<Map<String, Object>> launches = Launches.read(root);
        out.put("launch", launches.isEmpty() ? null : launches.get(launches.size() - 1));
        out.put("launch_count", launches.size());
        out.put("viewer_java", Runtime.version().toString());
        out.put("viewer_version", BuildInfo.version());
        out.put("reset", start == 0);
        out.put("from", start);
        out.put("rows", rows.subList(start, rows.size()));
        out.put("grids", grids(root));
        out.put("evals", MetricsLog.read(root.resolve("eval.jsonl")));   // diffuse eval's records (train.EvalLog)
        return out;
    }

    static RunState state(Path root, long totalSteps) {
        // a feature-network run keeps no checkpoints: its one model file is written at its last step
        if (FeatureRun.isFeatureRun(root) && Files.isRegularFile(root.resolve("model.safetensors")))
            return RunState.finished(totalSteps);
        return RunState.of(root, totalSteps, checkpointStep(root));
    }

    /** The step of the newest complete checkpoint, -1 when none. */
    static long checkpointStep(Path root) {
        try {
            return RunDir.open(root).checkpoints().latest().map(e -> e.step()).orElse(-1L);
        } catch (RuntimeException e) {
            return -1;   // no config.json yet, or an unreadable checkpoints folder: no checkpoint known
        }
    }

    /** Sample grids oldest first, each with its step and its address on the dashboard. */
    static List<Map<String, Object>> grids(Path root) {
        Path dir = root.resolve("samples");
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                Matcher m = GRID.matcher(p.getFileName().toString());
                if (!m.matches()) continue;
                Map<String, Object> g = new LinkedHashMap<>();
                g.put("step", Long.parseLong(m.group(1)));
                g.put("file", "samples/" + p.getFileName());
                out.add(g);
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    static Map<String, Object> lastTraining(List<Map<String, Object>> rows) {
        for (int i = rows.size() - 1; i >= 0; i--) if (rows.get(i).containsKey("loss_avg")) return rows.get(i);
        return null;
    }

    private static Map<String, Object> config(Path root) {
        try {
            return Json.parseObject(Files.readAllBytes(root.resolve("config.json")));
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    private static String configText(Path root) {
        try {
            return Files.readString(root.resolve("config.json"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no config.json)";
        }
    }

    private static Double secondsSinceModified(Path f) {
        try {
            return Files.exists(f) ? (System.currentTimeMillis() - Files.getLastModifiedTime(f).toMillis()) / 1000.0 : null;
        } catch (IOException e) {
            return null;
        }
    }
}
