package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.metrics.Psnr;
import dev.diffusion4j.metrics.Ssim;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.train.SampleImages;
import java.nio.file.Path;

/** Images and an autoencoder's reconstructions of them (posterior mode, clamped to [-1, 1]) on the CPU, with PSNR/SSIM. */
public record Reconstructions(float[] inputs, float[] outputs, int n, int c, int h, int w) {
    public static Reconstructions of(Autoencoder ae, Tensor images) {
        try (var g = GradMode.off()) {
            Tensor out = ae.decode(ae.encode(images).latents(null)).clamp(-1, 1);
            int[] s = images.shape();
            return new Reconstructions(images.to(Device.CPU).contiguous().toFloatArray(), out.to(Device.CPU).contiguous().toFloatArray(),
                    s[0], s[1], s[2], s[3]);
        }
    }

    public double[] psnrPerImage() { return Psnr.perImage(inputs, outputs, n, c * h * w); }
    public double[] ssimPerImage() { return Ssim.perImage(inputs, outputs, n, c, h, w); }
    public double psnr() { return Psnr.mean(psnrPerImage()); }
    public double ssim() { return Psnr.mean(ssimPerImage()); }

    public Tensor inputTensor() { return Tensor.of(inputs, n, c, h, w); }
    public Tensor outputTensor() { return Tensor.of(outputs, n, c, h, w); }

    /** A PNG of input/reconstruction pairs side by side, four pairs a row, cells of at least 64 pixels. */
    public void writePairs(Path png) {
        int len = c * h * w;
        float[] v = new float[2 * n * len];
        for (int i = 0; i < n; i++) {
            System.arraycopy(inputs, i * len, v, 2 * i * len, len);
            System.arraycopy(outputs, i * len, v, (2 * i + 1) * len, len);
        }
        SampleImages.writeGrid(png, Tensor.of(v, 2 * n, c, h, w), 2 * Math.min(n, 4), Math.max(1, (int) Math.ceil(64.0 / Math.max(h, w))));
    }
}
