package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import java.nio.file.Path;

/**
 * Where a latent-diffusion run takes its autoencoder from: a {@code diffuse train-autoencoder} run, or a diffusers
 * autoencoder folder (config.json + diffusion_pytorch_model.safetensors, e.g. Stable Diffusion's VAE). Either is
 * identified by the SHA-256 of its weights, which keys the latent cache and is recorded in the run.
 */
public sealed interface AutoencoderSource permits AutoencoderRun, DiffusersAutoencoder {
    /** The folder given by the user; the latent cache lives under it. */
    Path root();

    /** The image side the autoencoder was trained or configured for: the default pixel size of a latent run. */
    int imageSize();

    /** SHA-256 (hex) of the weights {@link #load} uses. */
    String weightsHash();

    /** The autoencoder with its weights, in eval mode on {@code device}. */
    Autoencoder load(Device device);

    /** A diffusers autoencoder folder when its config.json names AutoencoderKL or VQModel, else a train-autoencoder run (or its refusal). */
    static AutoencoderSource open(Path dir) {
        return DiffusersFolder.isAutoencoderFolder(dir) ? DiffusersAutoencoder.open(dir) : AutoencoderRun.open(dir);
    }
}
