package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import java.nio.file.Path;

/** Scaled latents of a latent-diffusion run back to pixels in [-1, 1]: divide by the run's scale, decode, clamp. */
public final class LatentDecoder {
    private final Autoencoder ae;
    private final double scale;
    private final Device device;

    private LatentDecoder(Autoencoder ae, double scale, Device device) {
        this.ae = ae;
        this.scale = scale;
        this.device = device;
    }

    /** Loads the run's autoencoder, refusing one whose weights are not those the run was trained on. */
    public static LatentDecoder open(LatentSpace space, Device device) {
        AutoencoderSource run = AutoencoderSource.open(Path.of(space.autoencoder()));
        String hash = run.weightsHash();
        if (!hash.equals(space.weightsSha256()))
            throw new IllegalArgumentException("the run's autoencoder " + space.autoencoder() + " has other weights now than it was trained on "
                    + "(retrained or replaced); its decoder would not match the latents. Restore that autoencoder checkpoint");
        return new LatentDecoder(run.load(device), space.scale(), device);
    }

    public Tensor decode(Tensor latents) {
        try (var g = GradMode.off()) {
            return ae.decode(latents.to(device).div(scale)).clamp(-1, 1);
        }
    }
}
