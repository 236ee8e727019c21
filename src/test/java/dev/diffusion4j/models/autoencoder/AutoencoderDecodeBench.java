package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import java.util.Locale;

/**
 * Times the sd-vae preset's decode of [B, 4, L, L] latents (L = 64: 512x512 images), beside bench/vae_parity.py bench
 * on the same GPU. Randomly initialised weights (the time does not depend on them); one sync after each timed loop.
 * <pre>java -cp diffusion4j.jar:test-classes dev.diffusion4j.models.autoencoder.AutoencoderDecodeBench cuda 1,8 fp32,tf32,bf16 [64]</pre>
 */
public final class AutoencoderDecodeBench {
    private AutoencoderDecodeBench() {}

    public static void main(String[] args) {
        Device device = Device.parse(args.length > 0 ? args[0] : "cuda");
        String batches = args.length > 1 ? args[1] : "1,8", modes = args.length > 2 ? args[2] : "fp32,tf32,bf16";
        int latent = args.length > 3 ? Integer.parseInt(args[3]) : 64, warmup = 3, iters = 10;
        AutoencoderKL m = AutoencoderPresets.kl("sd-vae").build(new Generator(0));
        m.to(device);
        m.eval();
        for (String mode : modes.split(",")) {
            Precision p = Precision.parse(mode);
            p.applyMathMode();
            for (String bs : batches.split(",")) {
                int b = Integer.parseInt(bs);
                Tensor z = Tensor.randn(new Generator(1), dev.diffusion4j.engine.DType.F32, device, b, 4, latent, latent);
                try (var g = GradMode.off(); var ac = p.autocast()) {
                    for (int i = 0; i < warmup; i++) {
                        long w0 = System.nanoTime();
                        m.decode(z).sum().item();
                        System.err.printf(Locale.ROOT, "warm-up decode %d (%s, batch %d): %.2f s%n", i, mode, b, (System.nanoTime() - w0) / 1e9);
                    }
                    long t0 = System.nanoTime();
                    Tensor y = null;
                    for (int i = 0; i < iters; i++) y = m.decode(z);
                    y.sum().item();   // sync: all queued work is done
                    double dt = (System.nanoTime() - t0) / 1e9 / iters;
                    System.out.printf(Locale.ROOT, "{\"side\": \"java\", \"mode\": \"%s\", \"batch\": %d, \"latent\": %d, \"ms_per_decode\": %.3f, \"images_per_s\": %.2f}%n",
                            mode, b, latent, dt * 1e3, b / dt);
                }
            }
        }
    }
}
