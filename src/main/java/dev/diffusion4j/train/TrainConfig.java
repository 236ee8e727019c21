package dev.diffusion4j.train;

import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.ModelConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that defines a training run; written to the run folder as config.json and read back on resume,
 * by {@code diffuse sample} and by {@code diffuse eval}.
 *
 * @param data            dataset spec (shapes, a folder of images, IDX or CIFAR-10 files; see Datasets.open)
 * @param flip            random horizontal flips
 * @param classConditional train with class labels (and label dropout for classifier-free guidance)
 * @param labelDropout    probability of replacing a label by the "no class" label
 * @param steps           optimizer steps in total
 * @param logEvery        steps between metrics lines
 * @param sampleEvery     steps between EMA sample grids
 * @param checkpointEvery steps between checkpoints (one is always written at the end)
 * @param keepCheckpoints how many recent checkpoints stay on disk
 * @param sample          what the grids (and {@code diffuse sample} by default) use
 */
public record TrainConfig(String data, boolean flip, boolean classConditional, double labelDropout, ModelConfig model,
                          DiffusionConfig diffusion, OptimConfig optim, long steps, long seed, String device,
                          Precision precision, int logEvery, int sampleEvery, int checkpointEvery, int keepCheckpoints, SampleConfig sample) {

    public TrainConfig {
        if (steps < 1) throw new IllegalArgumentException("training steps must be >= 1, got " + steps);
        if (logEvery < 1 || sampleEvery < 1 || checkpointEvery < 1)
            throw new IllegalArgumentException("log/sample/checkpoint intervals must be >= 1");
        if (keepCheckpoints < 1) throw new IllegalArgumentException("keep at least one checkpoint");
        diffusion.validate();
        if (diffusion.learnedVariance() != model.learnSigma())
            throw new IllegalArgumentException("a learned variance needs a model with doubled output channels (learn_sigma) and vice versa");
        if (classConditional && model.numClasses() < 1)
            throw new IllegalArgumentException("class-conditional training needs a model with num_classes > 0");
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "diffusion4j-run/1");
        m.put("data", data);
        m.put("flip", flip);
        m.put("class_conditional", classConditional);
        m.put("label_dropout", labelDropout);
        m.put("steps", steps);
        m.put("seed", seed);
        m.put("device", device);
        m.put("precision", precision.id());
        m.put("log_every", logEvery);
        m.put("sample_every", sampleEvery);
        m.put("checkpoint_every", checkpointEvery);
        m.put("keep_checkpoints", keepCheckpoints);
        m.put("model", model.toJson());
        m.put("diffusion", diffusion.toJson());
        m.put("optim", optim.toJson());
        m.put("sample", sample.toJson());
        return m;
    }

    public static TrainConfig fromJson(Map<String, Object> m) {
        if (!"diffusion4j-run/1".equals(m.get("format")))
            throw new IllegalArgumentException("not a diffusion4j run config (format '" + m.get("format") + "')");
        return new TrainConfig(Json.requireString(m, "data"), Json.getBoolean(m, "flip", true), Json.getBoolean(m, "class_conditional", false),
                Json.getDouble(m, "label_dropout", 0.1), ModelConfig.fromJson(Json.getObject(m, "model")),
                DiffusionConfig.fromJson(Json.getObject(m, "diffusion")), OptimConfig.fromJson(Json.getObject(m, "optim")),
                Json.requireLong(m, "steps"), Json.getLong(m, "seed", 0), Json.getString(m, "device", "cpu"),
                Precision.parse(Json.getString(m, "precision", "fp32")),
                Json.getInt(m, "log_every", 10), Json.getInt(m, "sample_every", 500), Json.getInt(m, "checkpoint_every", 500),
                Json.getInt(m, "keep_checkpoints", 2), SampleConfig.fromJson(Json.getObject(m, "sample")));
    }

    /** The same run with another step budget (e.g. a resumed run that trains longer). */
    public TrainConfig withSteps(long s) {
        return new TrainConfig(data, flip, classConditional, labelDropout, model, diffusion, optim, s, seed, device, precision, logEvery,
                sampleEvery, checkpointEvery, keepCheckpoints, sample);
    }

    public TrainConfig withDevice(String d) {
        return new TrainConfig(data, flip, classConditional, labelDropout, model, diffusion, optim, steps, seed, d, precision, logEvery,
                sampleEvery, checkpointEvery, keepCheckpoints, sample);
    }
}
