package dev.diffusion4j.train;

import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.FeatureClassifierConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/** What defines a feature-classifier run (config.json of {@code diffuse train-features}). */
public record FeatureRunConfig(String data, FeatureClassifierConfig model, long steps, int batchSize, double lr, long seed, String device) {
    public static final String FORMAT = "diffusion4j-features/1";

    public FeatureRunConfig {
        if (steps < 1) throw new IllegalArgumentException("training steps must be >= 1, got " + steps);
        if (batchSize < 2) throw new IllegalArgumentException("batch size must be >= 2, got " + batchSize);
        if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("data", data);
        m.put("steps", steps);
        m.put("batch_size", batchSize);
        m.put("lr", lr);
        m.put("seed", seed);
        m.put("device", device);
        m.put("model", model.toJson());
        return m;
    }

    public static FeatureRunConfig fromJson(Map<String, Object> m) {
        if (!FORMAT.equals(m.get("format"))) throw new IllegalArgumentException("not a feature-network run (format '" + m.get("format") + "')");
        return new FeatureRunConfig(Json.requireString(m, "data"), FeatureClassifierConfig.fromJson(Json.getObject(m, "model")),
                Json.requireLong(m, "steps"), Json.requireInt(m, "batch_size"), Json.requireDouble(m, "lr"), Json.getLong(m, "seed", 0),
                Json.getString(m, "device", "cpu"));
    }
}
