package dev.diffusion4j.diffusion.guidance;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/** Training-time condition dropout for classifier-free guidance. */
class ConditionDropoutTest {
    @Test
    void labelsDropAtTheRequestedRateReproducibly() {
        int n = 20_000;
        long[] y = new long[n];
        for (int i = 0; i < n; i++) y[i] = i % 10;
        Tensor labels = Tensor.ofLongs(y, n);
        double p = 0.15;
        long[] a = ConditionDropout.dropLabels(labels, p, 10, new Generator(3)).toLongArray();
        long[] b = ConditionDropout.dropLabels(labels, p, 10, new Generator(3)).toLongArray();
        assertArrayEquals(a, b, "a seed reproduces the pattern");
        int dropped = 0;
        for (int i = 0; i < n; i++) {
            if (a[i] == 10) dropped++;
            else assertEquals(y[i], a[i], "kept labels are unchanged");
        }
        double rate = dropped / (double) n, tol = 4 * Math.sqrt(p * (1 - p) / n);
        System.out.printf("label dropout rate %.4f (p %.2f, tol %.4f)%n", rate, p, tol);
        assertEquals(p, rate, tol);
        assertArrayEquals(y, ConditionDropout.dropLabels(labels, 0, 10, new Generator(1)).toLongArray());
        for (long v : ConditionDropout.dropLabels(labels, 1, 10, new Generator(1)).toLongArray()) assertEquals(10, v);
    }

    @Test
    void floatingEntriesDropWholeSamplesTogetherWithTheLabel() {
        int n = 200;
        Tensor emb = Tensor.randn(new Generator(1), DType.F64, Device.CPU, n, 3, 4).add(5.0);   // no zeros by chance
        long[] y = new long[n];
        Tensor shared = Tensor.scalar(2, DType.F64, Device.CPU);
        Conditioning cond = Conditioning.of("y", Tensor.ofLongs(y, n)).with("emb", emb).with("shared", shared);
        NullCondition none = c -> NullCondition.zeros("emb").of(NullCondition.label("y", 7).of(c));
        Conditioning out = new ConditionDropout(none, 0.5).apply(cond, new Generator(9));
        long[] ly = out.get("y").toLongArray();
        double[] e = out.get("emb").toDoubleArray(), e0 = emb.toDoubleArray();
        int dropped = 0;
        for (int i = 0; i < n; i++) {
            boolean drop = ly[i] == 7;
            if (drop) dropped++;
            for (int j = 0; j < 12; j++) assertEquals(drop ? 0 : e0[i * 12 + j], e[i * 12 + j], 0, "sample " + i);
        }
        assertTrue(dropped > 60 && dropped < 140, "about half dropped: " + dropped);
        assertSame(shared, out.get("shared"));
        assertThrows(IllegalArgumentException.class, () -> new ConditionDropout(NullCondition.none(), 0.1).apply(cond, new Generator(0)));
        assertThrows(IllegalArgumentException.class, () -> new ConditionDropout(none, 1.5));
    }
}
