package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.models.autoencoder.VQModel;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.train.Checkpoints;
import dev.diffusion4j.train.FeatureRun;
import dev.diffusion4j.train.Invocation;
import dev.diffusion4j.train.RunDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A finished (or checkpointed) {@code train-autoencoder} run as something to use: its config, its latest checkpoint and
 * the autoencoder with that checkpoint's EMA weights, identified by the SHA-256 of those weights.
 */
public record AutoencoderRun(Path root, AutoencoderRunConfig config, Checkpoints.Entry checkpoint) implements AutoencoderSource {
    /** Opens a run folder, refusing (in one message) a folder that is not an autoencoder run or has no checkpoint. */
    public static AutoencoderRun open(Path root) {
        if (!Files.isRegularFile(root.resolve("config.json")))
            throw new IllegalArgumentException(root + (Files.isDirectory(root) ? " is not an autoencoder run (no config.json)" : " does not exist")
                    + "; train one, e.g. for the built-in shapes: " + Invocation.command() + " train-autoencoder --preset kl-f4-tiny --out " + root);
        RunDir run = RunDir.open(root);
        AutoencoderRunConfig cfg = AutoencoderRunConfig.read(run.configFile());
        var ck = run.checkpoints().latest().orElseThrow(() ->
                new IllegalArgumentException("the autoencoder run " + root + " has no checkpoint yet; let diffuse train-autoencoder write one"));
        return new AutoencoderRun(root, cfg, ck);
    }

    /** Whether {@code dir} holds an autoencoder run's config.json. */
    public static boolean isAutoencoderRun(Path dir) {
        try {
            return Files.isRegularFile(dir.resolve("config.json"))
                    && AutoencoderRunConfig.isAutoencoderRun(dev.diffusion4j.io.ConfigJson.readObject(dir.resolve("config.json")));
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override public int imageSize() { return config.imageSize(); }

    public Path weightsFile() { return checkpoint.dir().resolve("ema.safetensors"); }

    /** SHA-256 (hex) of the EMA weights the autoencoder is loaded with. */
    @Override public String weightsHash() { return FeatureRun.sha256(weightsFile()); }

    /**
     * A fresh autoencoder of a run's configuration: the preset, plus, for VQ models, the EMA codebook buffers and
     * dead-code restarts its loss config asks for (so checkpoints with those buffers load strictly).
     */
    static Autoencoder build(AutoencoderRunConfig cfg, Generator gen) {
        Autoencoder ae = AutoencoderFactory.build(cfg.preset(), gen);
        if (ae instanceof VQModel vq) {
            if (cfg.loss().codebookEma() > 0) vq.quantizer().useEma(cfg.loss().codebookEma(), 1e-5);
            if (cfg.loss().deadCodeRestart() > 0) vq.quantizer().restartDeadCodes(cfg.loss().deadCodeRestart(), new Generator(cfg.seed()).fork(7));
        }
        return ae;
    }

    /** The autoencoder with the checkpoint's EMA weights, in eval mode on {@code device}. */
    @Override public Autoencoder load(Device device) {
        Autoencoder ae = build(config, new Generator(0));
        try {
            StateDicts.loadModel(checkpoint.dir().resolve("model.safetensors"), ae, true);   // buffers, then the EMA parameters over it
            Map<String, Tensor> weights = new LinkedHashMap<>();
            for (var e : StateDicts.load(weightsFile()).entrySet())
                if (e.getKey().startsWith("shadow.")) weights.put(e.getKey().substring(7), e.getValue());
            ae.loadStateDict(weights, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + weightsFile() + ": " + e.getMessage(), e);
        }
        ae.to(device);
        ae.eval();
        return ae;
    }
}
