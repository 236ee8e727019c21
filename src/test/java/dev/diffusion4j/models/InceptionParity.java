package dev.diffusion4j.models;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.StateDicts;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The Java half of bench/fid_inception_parity.py: loads the random weights and images the script wrote into DIR, runs
 * {@link FidInceptionV3#pool3} on DEVICE and compares with PyTorch's pool3 features. Exit code 1 when they differ by
 * more than 1e-3 of the largest feature (float32 through 94 convolutions).
 *
 * <p>Usage: {@code java -cp diffusion4j.jar:test-classes dev.diffusion4j.models.InceptionParity DIR [cpu|cuda]}
 */
public final class InceptionParity {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Device dev = Device.parse(args.length > 1 ? args[1] : "cuda");
        FidInceptionV3 net = FidInceptionV3.fromStateDict(StateDicts.load(dir.resolve("weights.safetensors")), dev);
        Map<String, Tensor> ref = StateDicts.load(dir.resolve("reference.safetensors"));
        boolean ok = true;
        for (int size : new int[] {64, 300}) {
            double[] expected = ref.get("features_" + size).toDoubleArray();
            double[] actual;
            try (var g = GradMode.off()) {
                actual = net.pool3(ref.get("images_" + size).to(dev)).to(Device.CPU).toDoubleArray();
            }
            double maxRef = 0, maxDiff = 0;
            for (int i = 0; i < expected.length; i++) {
                maxRef = Math.max(maxRef, Math.abs(expected[i]));
                maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
            }
            boolean pass = actual.length == expected.length && maxDiff <= 1e-3 * maxRef;
            ok &= pass;
            System.out.printf(Locale.ROOT, "inception pool3 parity, %dx%d input resized to 299, on %s: %d features, max |torch| %.4g,"
                    + " max |diff| %.3g (%.2e relative) %s%n", size, size, dev, actual.length, maxRef, maxDiff, maxDiff / maxRef, pass ? "PASS" : "FAIL");
        }
        System.exit(ok ? 0 : 1);
    }
}
