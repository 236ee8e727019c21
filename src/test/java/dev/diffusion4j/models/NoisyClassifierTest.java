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

/** The U-Net-encoder classifier of noisy images: shapes, timestep conditioning, and float64 gradients through every part. */
class NoisyClassifierTest {
    static final NoisyClassifierConfig CFG = new NoisyClassifierConfig(
            new UNetConfig(1, 8, new int[] {1, 2}, 1, new int[] {4}, 8, 0.0, 0, 2, true, false, true, false, 0, 4), 3);

    @Test void logitsPerImageAtIntegerOrFractionalTimesteps() {
        NoisyClassifier m = new NoisyClassifier(CFG, new Generator(1));
        Tensor x = Tensor.randn(new Generator(2), 2, 1, 8, 8);
        Tensor a = m.logits(x, Tensor.ofLongs(new long[] {0, 999}, 2));
        assertArrayEquals(new int[] {2, 3}, a.shape());
        Tensor b = m.logits(x, Tensor.of(new double[] {0, 999}, 2).to(DType.F32));
        assertArrayEquals(a.toDoubleArray(), b.toDoubleArray(), 1e-5, "t = 999 as i64 or as float is the same timestep");
        Tensor c = m.logits(x, Tensor.ofLongs(new long[] {500, 999}, 2));
        assertTrue(Math.abs(a.toDoubleArray()[0] - c.toDoubleArray()[0]) > 1e-5, "the timestep reaches the logits");
        assertTrue(m.namedParameters().keySet().stream().noneMatch(k -> k.startsWith("up.")), "encoder half only");
        var e = assertThrows(IllegalArgumentException.class, () -> m.logits(Tensor.zeros(1, 3, 8, 8), Tensor.ofLongs(new long[1], 1)));
        assertTrue(e.getMessage().contains("[N, 1, 8, 8]"), e.getMessage());
    }

    @Test void configRoundTripsThroughJson() {
        assertEquals(CFG, NoisyClassifierConfig.fromJson(Json.parseObject(Json.write(CFG.toJson()))));
        assertThrows(IllegalArgumentException.class, () -> new NoisyClassifierConfig(CFG.encoder(), 1));
    }

    @Test void gradientCheckOfInputAndEveryParameterTensorInFloat64() {
        NoisyClassifier m = new NoisyClassifier(CFG, new Generator(5));
        m.to(DType.F64);
        Tensor t = Tensor.ofLongs(new long[] {5, 900}, 2);
        // the input gradient is what guidance uses
        GradCheck.check("classifier input", in -> m.logits(in[0], t), GradCheck.randn(6, 2, 1, 8, 8));
        m.zeroGrad();
        Tensor x = GradCheck.randn(8, 2, 1, 8, 8);
        Tensor w = Tensor.randn(new Generator(9), DType.F64, Device.CPU, 2, 3);
        m.logits(x, t).mul(w).sum().backward();
        int checked = 0;
        for (var e : m.namedParameters().entrySet()) {
            var p = e.getValue();
            double[] a = p.grad().toDoubleArray(), v = p.data().toDoubleArray();
            // the head is checked in full, every other tensor at three elements
            int count = e.getKey().startsWith("head.") || e.getKey().startsWith("nout.") ? v.length : Math.min(3, v.length);
            for (int k = 0; k < count; k++) {
                int j = count == v.length ? k : (int) ((k * 7919L) % v.length);
                double orig = v[j], eps = 1e-6;
                v[j] = orig + eps; p.copyFrom(Tensor.of(v, p.shape()));
                double plus = m.logits(x, t).mul(w).sum().item();
                v[j] = orig - eps; p.copyFrom(Tensor.of(v, p.shape()));
                double minus = m.logits(x, t).mul(w).sum().item();
                v[j] = orig; p.copyFrom(Tensor.of(v, p.shape()));
                double n = (plus - minus) / (2 * eps);
                assertTrue(Math.abs(a[j] - n) <= 1e-6 + 1e-5 * (Math.abs(a[j]) + Math.abs(n)), e.getKey() + "[" + j + "]: autograd " + a[j] + ", numeric " + n);
                checked++;
            }
        }
        assertTrue(checked > 100, "checked " + checked);
    }
}
