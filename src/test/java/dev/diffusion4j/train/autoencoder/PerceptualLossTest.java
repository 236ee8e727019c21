package dev.diffusion4j.train.autoencoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the perceptual term enters the objective (LDM / taming: added per image to every pixel's distance) and its config. */
class PerceptualLossTest {
    static AutoencoderLossConfig cfg(double logvar, double weight) {
        return new AutoencoderLossConfig("l1", 1e-6, 1.0, logvar, -1, 0.5, 1, 8, 0, 0,
                weight == 0 ? PerceptualLossConfig.OFF : new PerceptualLossConfig(weight, "vgg.pth", "lpips.pth"));
    }

    @Test void theWeightedDistanceOfEachImageJoinsEveryPixel() {
        // 2 images of 1x1x2 pixels; l1 distances (0.5, 0), (1, 0.5); LPIPS 0.2 and 0.4, weight 2: r = (0.9, 0.4), (1.8, 1.3)
        Tensor x = Tensor.of(new float[] {0, 1, -1, 0.5f}, 2, 1, 1, 2), y = Tensor.of(new float[] {0.5f, 1, 0, 0}, 2, 1, 1, 2);
        Tensor p = Tensor.of(new float[] {0.2f, 0.4f}, 2);
        var kl = new AutoencoderLoss(cfg(0.3, 2), AutoencoderFactory.Regularizer.KL);
        double sum = 0.9 + 0.4 + 1.8 + 1.3;
        assertEquals((sum / Math.exp(0.3) + 4 * 0.3) / 2, kl.reconstruction(x, y, p).item(), 1e-6);
        var vq = new AutoencoderLoss(cfg(0.3, 2), AutoencoderFactory.Regularizer.CODEBOOK);
        assertEquals(sum / 4, vq.reconstruction(x, y, p).item(), 1e-6);
        assertEquals(vq.reconstruction(x, y).item(), new AutoencoderLoss(cfg(0.3, 0), AutoencoderFactory.Regularizer.CODEBOOK)
                .reconstruction(x, y, null).item(), 0.0);
        // the gradient reaches the perceptual distances: d nll / d p_n = weight * pixels / e^s / N
        Tensor pg = p.detach().requiresGrad(true);
        kl.reconstruction(x, y, pg).backward();
        assertEquals(2 * 2 / Math.exp(0.3) / 2, pg.grad().toFloatArray()[0], 1e-6);
    }

    @Test void configsWithoutTheSectionReadAsOffAndAnOnTermNeedsBothFiles() {
        Map<String, Object> old = new LinkedHashMap<>(Map.of("distance", "l1"));   // written before the term existed
        AutoencoderLossConfig read = ConfigJson.bind(old, AutoencoderLossConfig.class, "config.json");
        assertEquals(PerceptualLossConfig.OFF, read.perceptual());
        AutoencoderLossConfig on = cfg(0, 1);
        assertEquals(on, ConfigJson.bind(ConfigJson.toMap(on), AutoencoderLossConfig.class, "config.json"));
        var e = assertThrows(IllegalArgumentException.class, () -> new PerceptualLossConfig(1, "", "lpips.pth"));
        assertTrue(e.getMessage().contains("--vgg-weights") && e.getMessage().contains("none ship"), e.getMessage());
        Map<String, Object> bad = new LinkedHashMap<>(Map.of("distance", "l1", "perceptual", Map.of("weight", -1, "vgg_weights", "", "lpips_weights", "")));
        var c = assertThrows(ConfigException.class, () -> ConfigJson.bind(bad, AutoencoderLossConfig.class, "config.json"));
        assertTrue(c.getMessage().contains("perceptual weight must be >= 0"), c.getMessage());
    }
}
