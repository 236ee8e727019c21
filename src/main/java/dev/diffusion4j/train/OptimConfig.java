package dev.diffusion4j.train;

import dev.diffusion4j.io.Json;
import dev.diffusion4j.nn.optim.AdamConfig;
import dev.diffusion4j.nn.optim.LrSchedule;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Optimisation settings: AdamW, warmup and schedule, clipping, accumulation, EMA.
 *
 * @param batchSize   images per micro-batch; the optimizer sees batchSize * gradAccum per step
 * @param lrSchedule  constant (after warmup) or cosine (decays to 0 at the last step)
 * @param gradClip    global-norm clipping threshold (0 disables)
 */
public record OptimConfig(int batchSize, int gradAccum, double lr, int warmup, String lrSchedule, double weightDecay,
                          double beta1, double beta2, double gradClip, double emaDecay, boolean emaWarmup) {

    public static OptimConfig defaults() {
        return new OptimConfig(32, 1, 2e-4, 100, "constant", 0.0, 0.9, 0.999, 1.0, 0.999, true);
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

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("batch_size", batchSize);
        m.put("grad_accum", gradAccum);
        m.put("lr", lr);
        m.put("warmup", warmup);
        m.put("lr_schedule", lrSchedule);
        m.put("weight_decay", weightDecay);
        m.put("beta1", beta1);
        m.put("beta2", beta2);
        m.put("grad_clip", gradClip);
        m.put("ema_decay", emaDecay);
        m.put("ema_warmup", emaWarmup);
        return m;
    }

    public static OptimConfig fromJson(Map<String, ?> m) {
        OptimConfig d = defaults();
        return new OptimConfig(Json.getInt(m, "batch_size", d.batchSize), Json.getInt(m, "grad_accum", 1), Json.getDouble(m, "lr", d.lr),
                Json.getInt(m, "warmup", d.warmup), Json.getString(m, "lr_schedule", d.lrSchedule), Json.getDouble(m, "weight_decay", 0),
                Json.getDouble(m, "beta1", d.beta1), Json.getDouble(m, "beta2", d.beta2), Json.getDouble(m, "grad_clip", d.gradClip),
                Json.getDouble(m, "ema_decay", d.emaDecay), Json.getBoolean(m, "ema_warmup", true));
    }
}
