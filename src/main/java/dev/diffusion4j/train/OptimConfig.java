package dev.diffusion4j.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.nn.optim.AdamConfig;
import dev.diffusion4j.nn.optim.LrSchedule;
import java.util.Locale;
import java.util.Map;

/**
 * Optimisation settings: AdamW, warmup and schedule, clipping, accumulation, EMA.
 *
 * @param batchSize   images per micro-batch; the optimizer sees batchSize * gradAccum per step
 * @param lrSchedule  constant (after warmup) or cosine (decays to 0 at the last step)
 * @param gradClip    global-norm clipping threshold (0 disables)
 */
public record OptimConfig(@JsonProperty(defaultValue = Defaults.BATCH_SIZE) int batchSize, @JsonProperty(defaultValue = Defaults.GRAD_ACCUM) int gradAccum,
                          @JsonProperty(defaultValue = Defaults.LR) double lr, @JsonProperty(defaultValue = Defaults.WARMUP) int warmup,
                          @JsonProperty(defaultValue = Defaults.LR_SCHEDULE) String lrSchedule, @JsonProperty(defaultValue = Defaults.WEIGHT_DECAY) double weightDecay,
                          @JsonProperty(defaultValue = "0.9") double beta1, @JsonProperty(defaultValue = "0.999") double beta2,
                          @JsonProperty(defaultValue = Defaults.GRAD_CLIP) double gradClip, @JsonProperty(defaultValue = Defaults.EMA_DECAY) double emaDecay,
                          @JsonProperty(defaultValue = "true") boolean emaWarmup) {

    /** Every field at its declared default (each key of the JSON form is optional). */
    public static OptimConfig defaults() {
        return ConfigJson.defaults(OptimConfig.class);
    }

    public OptimConfig {
        if (batchSize < 1 || gradAccum < 1) throw new IllegalArgumentException("batch size and gradient accumulation must be >= 1");
        if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be positive, got " + lr);
        if (emaDecay < 0 || emaDecay >= 1) throw new IllegalArgumentException("EMA decay must be in [0, 1), got " + emaDecay);
        if (!lrSchedule.equals("constant") && !lrSchedule.equals("cosine"))
            throw new IllegalArgumentException("unknown LR schedule '" + lrSchedule + "': use constant or cosine");
    }

    public AdamConfig adam() { return new AdamConfig(lr, beta1, beta2, 1e-8, weightDecay); }

    public LrSchedule schedule(long totalSteps) {
        long w = Math.min(warmup, totalSteps);   // a run shorter than its warmup simply never reaches the peak
        return lrSchedule.toLowerCase(Locale.ROOT).equals("cosine") ? LrSchedule.cosine(lr, w, totalSteps, 0) : LrSchedule.linearWarmup(lr, w);
    }

    public Map<String, Object> toJson() { return ConfigJson.toMap(this); }

    /** Binds a parsed "optim" section strictly; missing keys take their defaults. */
    public static OptimConfig fromJson(Map<String, ?> m) { return ConfigJson.bind(m, OptimConfig.class, "optim config"); }
}
