package dev.diffusion4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradCheck;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.Json;
import org.junit.jupiter.api.Test;

/** The U-Net as a super-resolution stage: x_t and the low-resolution image in, C channels out, the augmentation level embedded. */
class SuperResolutionUNetTest {
    // zero_init_outputs off, so the output depends on every input at initialisation
    static final UNetConfig SR = new UNetConfig(1, 8, new int[] {1, 2}, 1, new int[] {4}, 8, 0.0, 0, 2, true, true, true, false, 0, 4)
            .withLowResChannels(1);

    @Test void takesImageAndLowResChannelsAndOutputsTheImageChannels() {
        UNet m = new UNet(SR, new Generator(1));
        Tensor x = Tensor.randn(new Generator(2), 2, 2, 8, 8);
        Tensor out = m.forward(x, Tensor.ofLongs(new long[] {3, 700}, 2), null, Tensor.of(new double[] {0, 0.5}, 2).to(DType.F32));
        assertArrayEquals(new int[] {2, 2, 8, 8}, out.shape(), "learned sigma: 2 x in_channels, not 2 x (in + low-res)");
        assertEquals(1, SR.inChannels());
        assertEquals(2, SR.outChannels());
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(2, 1, 8, 8), Tensor.ofLongs(new long[2], 2), null));
        assertTrue(e.getMessage().contains("[N, 2, H, W]") && e.getMessage().contains("low-resolution"), e.getMessage());
    }

    @Test void theAugmentationLevelChangesTheOutputAndNullMeansZero() {
        UNet m = new UNet(SR, new Generator(1));
        Tensor x = Tensor.randn(new Generator(2), 1, 2, 8, 8), t = Tensor.ofLongs(new long[] {10}, 1);
        double[] clean = m.forward(x, t, null, null).toDoubleArray();
        double[] zero = m.forward(x, t, null, Tensor.of(new double[] {0}, 1).to(DType.F32)).toDoubleArray();
        double[] noisy = m.forward(x, t, null, Tensor.of(new double[] {0.7}, 1).to(DType.F32)).toDoubleArray();
        assertArrayEquals(clean, zero, 0);
        double diff = 0;
        for (int i = 0; i < clean.length; i++) diff = Math.max(diff, Math.abs(clean[i] - noisy[i]));
        assertTrue(diff > 1e-4, "the level must reach the output, max change " + diff);
        assertTrue(m.namedParameters().keySet().stream().anyMatch(k -> k.startsWith("aug_emb.")), "own embedding MLP");
        assertTrue(new UNet(SR.withLowResChannels(0), new Generator(1)).namedParameters().keySet().stream().noneMatch(k -> k.startsWith("aug_emb.")));
    }

    @Test void configRoundTripsAndPlainConfigsKeepTheirJson() {
        assertEquals(SR, ModelConfig.fromJson(Json.parseObject(Json.write(SR.toJson()))));
        assertTrue(!SR.withLowResChannels(0).toJson().containsKey("low_res_channels"), "configs written before SR stay byte-identical");
        assertEquals(0, ((UNetConfig) ModelConfig.fromJson(Json.parseObject(Json.write(SR.withLowResChannels(0).toJson())))).lowResChannels());
    }

    @Test void gradientsThroughInputAndAugmentationLevelInFloat64() {
        UNet m = new UNet(SR, new Generator(5));
        m.to(DType.F64);
        Tensor t = Tensor.ofLongs(new long[] {5, 900}, 2);
        GradCheck.check("sr unet input and aug level", in -> m.forward(in[0], t, null, in[1]), GradCheck.randn(6, 2, 2, 8, 8),
                GradCheck.rand(7, 0, 1, 2));
        // the embedding MLP's own weights: spot checks with central differences
        m.zeroGrad();
        Tensor x = GradCheck.randn(8, 2, 2, 8, 8), lv = Tensor.of(new double[] {0.2, 0.9}, 2);
        Tensor w = Tensor.randn(new Generator(9), DType.F64, Device.CPU, 2, 2, 8, 8);
        m.forward(x, t, null, lv).mul(w).sum().backward();
        int checked = 0;
        for (var e : m.namedParameters().entrySet()) {
            if (!e.getKey().startsWith("aug_emb.") && !e.getKey().startsWith("cin.")) continue;
            var p = e.getValue();
            double[] a = p.grad().toDoubleArray(), v = p.data().toDoubleArray();
            for (int k = 0; k < Math.min(4, v.length); k++) {
                int j = (int) ((k * 7919L) % v.length);
                double orig = v[j], eps = 1e-6;
                v[j] = orig + eps; p.copyFrom(Tensor.of(v, p.shape()));
                double plus = m.forward(x, t, null, lv).mul(w).sum().item();
                v[j] = orig - eps; p.copyFrom(Tensor.of(v, p.shape()));
                double minus = m.forward(x, t, null, lv).mul(w).sum().item();
                v[j] = orig; p.copyFrom(Tensor.of(v, p.shape()));
                double n = (plus - minus) / (2 * eps);
                assertTrue(Math.abs(a[j] - n) <= 1e-6 + 1e-5 * (Math.abs(a[j]) + Math.abs(n)), e.getKey() + "[" + j + "]: autograd " + a[j] + ", numeric " + n);
                checked++;
            }
        }
        assertTrue(checked >= 16, "checked " + checked);
    }
}
