package dev.diffusion4j.train;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.metrics.InceptionFeatures;
import dev.diffusion4j.models.FidInceptionV3;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds and loads pytorch-fid's Inception weights, converted to safetensors or as the original .pth (read without Python). None ship with the project: a missing file
 * ends in a message saying where to download the original and how to convert it, and which other features work offline.
 */
public final class InceptionWeights {
    public static final String FILE_NAME = "pt_inception-2015-12-05-6726825d.safetensors";
    public static final String URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth";

    private InceptionWeights() {}

    /** {@code $DIFFUSION4J_INCEPTION}, else {@value #FILE_NAME} in the cache folder ({@code diffusion4j.cache} / {@code $DIFFUSION4J_CACHE} / ~/.cache/diffusion4j). */
    public static Path defaultFile() {
        String env = System.getenv("DIFFUSION4J_INCEPTION");
        if (env != null && !env.isBlank()) return Path.of(env);
        String cache = System.getProperty("diffusion4j.cache", System.getenv("DIFFUSION4J_CACHE"));
        Path root = cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "diffusion4j");
        return root.resolve(FILE_NAME);
    }

    static void check(Path file) {
        if (Files.isRegularFile(file)) return;
        throw new IllegalArgumentException("Inception weights not found at " + file + ". None ship with diffusion4j: download " + URL
                + " and convert it with: " + Invocation.command() + " convert pt_inception-2015-12-05-6726825d.pth " + file
                + " (no Python needed; or python3 scripts/convert_fid_inception.py with torch, or use the .pth as it is with"
                + " --features inception:pt_inception-2015-12-05-6726825d.pth); or use --features pixels, or a feature network"
                + " trained on your data with diffuse train-features");
    }

    static InceptionFeatures open(Path file, Device device) {
        check(file);
        try {
            var model = FidInceptionV3.fromStateDict(StateDicts.loadWeights(file, null), device); // safetensors or the .pth itself
            return new InceptionFeatures(model, device, FeatureRun.sha256(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Inception weights " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }
}
