package dev.diffusion4j.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradCheck;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

class UNetTest {
    @Test
    void presetParameterCountsEqualThePyTorchReference() {
        // ../shared/bench/ddpm_unet.py: sum(p.numel() for p in UNet(**CONFIGS[...]).parameters())
        assertEquals(35_746_307, new UNet(ModelPresets.unet("ddpm-cifar10"), new Generator(0)).numParameters());
        assertEquals(6_469_889, new UNet(ModelPresets.unet("fmnist-small"), new Generator(0)).numParameters());
    }

    @Test
    void outputShapeAndVariantsRun() {
        UNetConfig tiny = ModelPresets.unet("tiny");
        UNet m = new UNet(tiny, new Generator(1));
        Tensor x = Tensor.randn(new Generator(2), 2, 3, 32, 32);
        Tensor t = Tensor.ofLongs(new long[] {3, 700}, 2);
        assertArrayEquals(new int[] {2, 3, 32, 32}, m.forward(x, t, null).shape());
        UNet sigma = new UNet(tiny.withLearnSigma(true).withClasses(5), new Generator(1));
        Tensor y = sigma.forward(x, t, Tensor.ofLongs(new long[] {0, 4}, 2));
        assertArrayEquals(new int[] {2, 6, 32, 32}, y.shape());
        assertArrayEquals(new int[] {2, 6, 32, 32}, sigma.forward(x, t, null).shape(), "null labels mean the 'no class' label");
    }

    @Test
    void zeroInitialisedOutputStartsAtZeroAndWrongInputsAreExplained() {
        UNet m = new UNet(ModelPresets.unet("tiny"), new Generator(3));
        Tensor out = m.forward(Tensor.randn(new Generator(4), 1, 3, 32, 32), Tensor.ofLongs(new long[] {10}, 1), null);
        assertEquals(0, out.abs().max().item());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.forward(Tensor.zeros(1, 1, 32, 32), Tensor.ofLongs(new long[] {1}, 1), null));
        assertTrue(e.getMessage().contains("[N, 3, H, W]"), e.getMessage());
    }

    @Test
    void wholeModelGradientCheckInFloat64() {
        // a very small configuration so finite differences over every parameter stay cheap
        UNetConfig c = new UNetConfig(1, 8, new int[] {1, 2}, 1, new int[] {4}, 8, 0.0, 0, 2, true, true, true, false, 3, 4);
        UNet m = new UNet(c, new Generator(5));
        m.to(DType.F64);
        Tensor x = GradCheck.randn(6, 2, 1, 8, 8);
        Tensor t = Tensor.ofLongs(new long[] {5, 900}, 2);
        Tensor labels = Tensor.ofLongs(new long[] {2, 0}, 2);
        GradCheck.check("unet input", in -> m.forward(in[0], t, labels), x);
        m.zeroGrad();  // the input check above accumulated parameter gradients too
        Tensor w = Tensor.randn(new Generator(7), DType.F64, Device.CPU, 2, 2, 8, 8);
        m.forward(x, t, labels).mul(w).sum().backward();
        int checked = 0;
        for (var e : m.namedParameters().entrySet()) {
            var p = e.getValue();
            double[] analytic = p.grad().toDoubleArray();
            double[] v = p.data().toDoubleArray();
            // spot-check three elements of every parameter with central differences
            for (int k = 0; k < Math.min(3, v.length); k++) {
                int j = (int) ((k * 7919L) % v.length);
                double orig = v[j], eps = 1e-6;
                v[j] = orig + eps; p.copyFrom(Tensor.of(v, p.shape()));
                double plus = m.forward(x, t, labels).mul(w).sum().item();
                v[j] = orig - eps; p.copyFrom(Tensor.of(v, p.shape()));
                double minus = m.forward(x, t, labels).mul(w).sum().item();
                v[j] = orig; p.copyFrom(Tensor.of(v, p.shape()));
                double numeric = (plus - minus) / (2 * eps), a = analytic[j];
                assertTrue(Math.abs(a - numeric) <= 1e-6 + 1e-5 * (Math.abs(a) + Math.abs(numeric)),
                        e.getKey() + "[" + j + "]: autograd " + a + ", numeric " + numeric);
                checked++;
            }
        }
        assertTrue(checked > 100, "checked " + checked);
    }
}
