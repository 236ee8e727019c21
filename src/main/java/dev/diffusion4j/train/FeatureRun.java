package dev.diffusion4j.train;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.FeatureClassifier;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/** A feature-classifier run folder: config.json, metrics.jsonl, model.safetensors (written once training ends). */
public final class FeatureRun {
    private final Path root;

    private FeatureRun(Path root) { this.root = root; }

    public static boolean isFeatureRun(Path dir) {
        try {
            return Files.isRegularFile(dir.resolve("config.json"))
                    && FeatureRunConfig.FORMAT.equals(Json.parseObject(Files.readString(dir.resolve("config.json"))).get("format"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public static FeatureRun create(Path root, FeatureRunConfig cfg) {
        if (Files.exists(root.resolve("config.json")))
            throw new IllegalArgumentException(root + " already holds a run; choose another --out");
        try {
            Files.createDirectories(root);
            AtomicFiles.writeString(root.resolve("config.json"), Json.writePretty(cfg.toJson()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + root + ": " + e.getMessage(), e);
        }
        return new FeatureRun(root);
    }

    public static FeatureRun open(Path root) {
        if (!isFeatureRun(root)) throw new IllegalArgumentException(root + " is not a feature-network run (train one with " + Invocation.command() + " train-features --out " + Invocation.quote(root) + ")");
        if (!Files.isRegularFile(root.resolve("model.safetensors")))
            throw new IllegalArgumentException(root + " has no model.safetensors: its diffuse train-features run did not finish");
        return new FeatureRun(root);
    }

    public Path root() { return root; }
    public Path modelFile() { return root.resolve("model.safetensors"); }
    public Path metricsFile() { return root.resolve("metrics.jsonl"); }

    public FeatureRunConfig config() {
        try {
            return FeatureRunConfig.fromJson(Json.parseObject(Files.readString(root.resolve("config.json"))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + root.resolve("config.json") + ": " + e.getMessage(), e);
        }
    }

    public void saveModel(FeatureClassifier model, Map<String, String> meta) {
        try {
            StateDicts.saveModel(modelFile(), model, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + modelFile() + ": " + e.getMessage(), e);
        }
    }

    public FeatureClassifier loadModel(Device device) {
        FeatureClassifier m = new FeatureClassifier(config().model(), new Generator(0));
        try {
            StateDicts.loadModel(modelFile(), m, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + modelFile() + ": " + e.getMessage(), e);
        }
        m.to(device);
        m.eval();
        return m;
    }

    /** SHA-256 of a file, hex: identifies a set of weights for the reference cache. */
    public static String sha256(Path file) {
        try (var in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
