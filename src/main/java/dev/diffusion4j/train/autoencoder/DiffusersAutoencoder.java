package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import dev.diffusion4j.train.FeatureRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** A diffusers autoencoder folder used as the first stage of latent diffusion (loaded strictly by name). */
public record DiffusersAutoencoder(Path root, Path weightsFile) implements AutoencoderSource {
    /** Opens a folder whose config.json names AutoencoderKL or VQModel; a folder without weights is refused here, before any work. */
    public static DiffusersAutoencoder open(Path dir) {
        try {
            return new DiffusersAutoencoder(dir, DiffusersFolder.weightsFile(dir));
        } catch (IOException e) {
            throw new UncheckedIOException(dir + " is not a usable diffusers autoencoder folder: " + e.getMessage(), e);
        }
    }

    /** diffusers' sample_size (its default 32 when the config has none). */
    @Override public int imageSize() {
        Object s = ConfigJson.readObject(root.resolve(DiffusersFolder.CONFIG)).get("sample_size");
        return s instanceof Number n ? n.intValue() : 32;
    }

    @Override public String weightsHash() { return FeatureRun.sha256(weightsFile); }

    @Override public Autoencoder load(Device device) {
        try {
            Autoencoder ae = DiffusersFolder.load(root);
            ae.to(device);
            ae.eval();
            return ae;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the diffusers autoencoder " + root + ": " + e.getMessage(), e);
        }
    }
}
