package dev.diffusion4j.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where training stands after a step, beyond the tensors: enough to continue bit for bit (random streams,
 * the data order) plus running totals for the report. Stored as a checkpoint's state.json.
 *
 * @param generatorOffset Philox offset of the training stream (timesteps, noise, label dropout)
 * @param dropoutOffsets  Philox offsets of the dropout layers' streams, by module name
 */
public record TrainState(long step, long generatorOffset, @JsonProperty(defaultValue = "{}") Map<String, Long> dropoutOffsets,
                         long loaderEpoch, int loaderPosition, @JsonProperty(defaultValue = "0") long imagesSeen,
                         @JsonProperty(defaultValue = "0.0") double trainSeconds) {

    public TrainState {
        if (step < 0 || generatorOffset < 0 || loaderEpoch < 0 || loaderPosition < 0 || imagesSeen < 0)
            throw new IllegalArgumentException("step, offsets, loader epoch/position and images seen must be >= 0");
        if (!(trainSeconds >= 0)) throw new IllegalArgumentException("train_seconds must be >= 0, got " + trainSeconds);
        dropoutOffsets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(dropoutOffsets));
    }

    public Map<String, Object> toJson() { return ConfigJson.toMap(this); }

    /** Binds a parsed state.json strictly. */
    public static TrainState fromJson(Map<String, Object> m) { return ConfigJson.bind(m, TrainState.class, "train state"); }

    /** Reads a checkpoint's state.json strictly, naming the file and key of any problem. */
    public static TrainState read(Path file) { return ConfigJson.read(file, TrainState.class); }

    /** Writes state.json atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, Json.writePretty(toJson()) + "\n");
    }
}
