package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.models.lpips.Lpips;
import java.nio.file.Path;

/**
 * The optional perceptual term of the autoencoder objective: {@code weight} times LPIPS (VGG16) between input and
 * reconstruction, added to the per-pixel distance as in LDM and taming. Off (weight 0, no files) unless the user
 * names the two weight files, since none ship with diffusion4j.
 *
 * @param weight       LPIPS weight (LDM and taming: 1.0); 0 = off
 * @param vggWeights   torchvision's VGG16 state dict (vgg16-397923af.pth), "" when off
 * @param lpipsWeights lpips' v0.1 lin layers (weights/v0.1/vgg.pth), "" when off
 */
public record PerceptualLossConfig(double weight, String vggWeights, String lpipsWeights) {
    /** JSON default of the section: configs written before the term existed read as off. */
    static final String OFF_JSON = "{\"weight\": 0.0, \"vgg_weights\": \"\", \"lpips_weights\": \"\"}";
    public static final PerceptualLossConfig OFF = new PerceptualLossConfig(0, "", "");

    public PerceptualLossConfig {
        if (!(weight >= 0) || Double.isInfinite(weight)) throw new IllegalArgumentException("perceptual weight must be >= 0, got " + weight);
        if (weight > 0 && (vggWeights.isEmpty() || lpipsWeights.isEmpty()))
            throw new IllegalArgumentException("a perceptual weight above 0 needs both weight files: --vgg-weights (torchvision's VGG16) and "
                    + "--lpips-weights (lpips' v0.1 vgg.pth); none ship with diffusion4j");
    }

    public boolean on() { return weight > 0; }

    /** The LPIPS network from the two files, on {@code device}. */
    public Lpips load(Device device) { return Lpips.load(Path.of(vggWeights), Path.of(lpipsWeights), device); }
}
