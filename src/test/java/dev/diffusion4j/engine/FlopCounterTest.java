package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.ModelPresets;
import org.junit.jupiter.api.Test;

/** Model FLOPs: 2 per multiply-add of matmuls, convolutions and attention products, against hand counts and the DiT paper. */
class FlopCounterTest {
    private static Tensor rn(long seed, int... shape) { return Tensor.randn(new Generator(seed), shape); }

    @Test
    void countsEachProductOpByItsMultiplyAdds() {
        try (FlopCounter outer = FlopCounter.start()) {
            try (FlopCounter c = FlopCounter.start()) {
                rn(1, 2, 3, 4).matmul(rn(2, 4, 5));                         // 2*3 rows x 5 cols x 4 deep
                assertEquals(2L * 6 * 5 * 4, c.flops());
            }
            try (FlopCounter c = FlopCounter.start()) {
                F.conv2d(rn(3, 2, 6, 8, 8), rn(4, 10, 3, 3, 3), null, Conv2dParams.of(1, 1).withGroups(2));   // each output reads 3 channels x 3 x 3
                assertEquals(2L * (2 * 10 * 8 * 8) * (3 * 3 * 3), c.flops());
            }
            try (FlopCounter c = FlopCounter.start()) {
                F.scaledDotProductAttention(rn(5, 2, 3, 7, 16), rn(6, 2, 3, 9, 16), rn(7, 2, 3, 9, 8));
                assertEquals(2L * 6 * 7 * 9 * (16 + 8), c.flops());
                F.scaledDotProductAttentionPacked(rn(8, 3, 2, 3, 7, 16), Double.NaN);
                assertEquals(2L * 6 * 7 * 9 * (16 + 8) + 2L * 6 * 7 * 7 * (16 + 16), c.flops());
            }
            rn(9, 1, 1).add(rn(10, 1, 1)).exp();                             // elementwise maps are not counted
            assertEquals(2L * 6 * 5 * 4 + 2L * (2 * 10 * 8 * 8) * 27 + 2L * 6 * 7 * 9 * 24 + 2L * 6 * 7 * 7 * 32, outer.flops(),
                    "an outer counter sees what inner ones counted");
        }
        rn(11, 2, 2).matmul(rn(12, 2, 2));                                   // no counter open: nothing to count, no error
        try (FlopCounter c = FlopCounter.start()) {                          // empty attention counts nothing and does not fail
            Tensor empty = Tensor.zeros(1, 0, 4);
            F.scaledDotProductAttention(empty, Tensor.zeros(1, 3, 4), Tensor.zeros(1, 3, 4));
            F.scaledDotProductAttention(Tensor.zeros(1, 2, 0), Tensor.zeros(1, 3, 0), Tensor.zeros(1, 3, 4));
            assertEquals(2L * 2 * 3 * 4, c.flops(), "the second, with D = 0, still has P v: 2 x 3 x 4 multiply-adds");
        }
    }

    /** Peebles and Xie (2023), Table 4, count multiply-adds as "Gflops": DiT-S/2 6.06, DiT-S/4 1.41 per 256x256 image. */
    @Test
    void ditForwardsMatchThePapersCounts() {
        for (Object[] c : new Object[][] {{"dit-s/2", 6.06e9}, {"dit-s/4", 1.41e9}}) {
            ModelConfig cfg = ModelPresets.get((String) c[0]);
            DenoisingNetwork model = cfg.build(new Generator(0));
            Generator g = new Generator(1);
            Tensor x = Tensor.randn(g, DType.F32, Device.CPU, 1, cfg.inChannels(), cfg.resolution(), cfg.resolution());
            try (var off = GradMode.off(); FlopCounter count = FlopCounter.start()) {
                model.forward(x, Tensor.ofLongs(new long[] {500}, 1), Tensor.ofLongs(new long[] {3}, 1));
                assertEquals((double) c[1], count.flops() / 2.0, 0.005e9, (String) c[0]);
            }
        }
    }
}
