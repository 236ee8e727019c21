package dev.diffusion4j.train;

import dev.diffusion4j.io.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where training stands after a step, beyond the tensors: enough to continue bit for bit (random streams,
 * the data order) plus running totals for the report.
 *
 * @param generatorOffset Philox offset of the training stream (timesteps, noise, label dropout)
 * @param dropoutOffsets  Philox offsets of the dropout layers' streams, by module name
 */
public record TrainState(long step, long generatorOffset, Map<String, Long> dropoutOffsets, long loaderEpoch, int loaderPosition,
                         long imagesSeen, double trainSeconds) {

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("generator_offset", generatorOffset);
        m.put("dropout_offsets", new LinkedHashMap<>(dropoutOffsets));
        m.put("loader_epoch", loaderEpoch);
        m.put("loader_position", loaderPosition);
        m.put("images_seen", imagesSeen);
        m.put("train_seconds", trainSeconds);
        return m;
    }

    public static TrainState fromJson(Map<String, Object> m) {
        Map<String, Long> drops = new LinkedHashMap<>();
        Map<String, Object> d = Json.getObject(m, "dropout_offsets");
        if (d != null) for (var e : d.entrySet()) drops.put(e.getKey(), ((Number) e.getValue()).longValue());
        return new TrainState(Json.requireLong(m, "step"), Json.requireLong(m, "generator_offset"), drops,
                Json.requireLong(m, "loader_epoch"), Json.requireInt(m, "loader_position"), Json.getLong(m, "images_seen", 0),
                Json.getDouble(m, "train_seconds", 0));
    }
}
