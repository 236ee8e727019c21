package dev.diffusion4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradCheck;
import dev.diffusion4j.engine.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** FID Inception on the CPU: pooling conventions against plain loops, batch-norm folding, the whole network's shapes. */
class FidInceptionV3Test {
    /** 3x3 pooling by loops over the window, the textbook definition. */
    private static double[] naivePool(double[] x, int n, int h, int w, int stride, int pad, boolean max) {
        int oh = (h + 2 * pad - 3) / stride + 1, ow = (w + 2 * pad - 3) / stride + 1;
        double[] out = new double[n * oh * ow];
        for (int p = 0; p < n; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    int cells = 0;
                    for (int dy = 0; dy < 3; dy++)
                        for (int dx = 0; dx < 3; dx++) {
                            int y = i * stride - pad + dy, xx = j * stride - pad + dx;
                            if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                            double v = x[(p * h + y) * w + xx];
                            acc = max ? Math.max(acc, v) : acc + v;
                            cells++;
                        }
                    out[(p * oh + i) * ow + j] = max ? acc : acc / cells;
                }
        return out;
    }

    @Test void poolingMatchesTheDefinition() {
        Tensor x = GradCheck.randn(3, 2, 3, 7, 6);
        double[] xv = x.toDoubleArray();
        assertArrayEquals(naivePool(xv, 6, 7, 6, 2, 0, true), Pool3x3.max(x, 2, 0).toDoubleArray(), 0);
        assertArrayEquals(naivePool(xv, 6, 7, 6, 1, 1, true), Pool3x3.max(x, 1, 1).toDoubleArray(), 0);
        assertArrayEquals(naivePool(xv, 6, 7, 6, 1, 1, false), Pool3x3.avgExcludingPad(x).toDoubleArray(), 1e-12);
    }

    @Test void poolingGradientsPassTheFiniteDifferenceCheck() {
        GradCheck.check("avg_pool3x3_exclude_pad", in -> Pool3x3.avgExcludingPad(in[0]), GradCheck.randn(4, 1, 2, 4, 5));
        GradCheck.check("max_pool3x3_s2", in -> Pool3x3.max(in[0], 2, 0), GradCheck.randn(5, 1, 2, 5, 5));
        GradCheck.check("max_pool3x3_s1_p1", in -> Pool3x3.max(in[0], 1, 1), GradCheck.randn(6, 1, 2, 4, 4));
    }

    @Test void foldedBatchNormEqualsConvThenBatchNorm() {
        FidInceptionV3.ConvSpec spec = new FidInceptionV3.ConvSpec(3, 4, 1, 3, 1, 0, 1);
        Map<String, Tensor> sd = randomBasicConv("c", spec, new Generator(1));
        Tensor x = Tensor.randn(new Generator(2), 2, 3, 5, 5);
        Tensor conv = F.conv2d(x, sd.get("c.conv.weight"), null, spec.params());
        Tensor bn = conv.sub(sd.get("c.bn.running_mean").reshape(1, 4, 1, 1))
                .div(sd.get("c.bn.running_var").add(FidInceptionV3.BN_EPS).sqrt().reshape(1, 4, 1, 1))
                .mul(sd.get("c.bn.weight").reshape(1, 4, 1, 1)).add(sd.get("c.bn.bias").reshape(1, 4, 1, 1));
        Tensor expected = F.relu(bn);
        Tensor folded = FidInceptionV3.fold(sd, "c", spec, Device.CPU).apply(x);
        assertArrayEquals(expected.toFloatArray(), folded.toFloatArray(), 1e-5f);
    }

    @Test void randomWeightsGive2048NonNegativeFeatures() {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        Generator g = new Generator(7);
        for (var e : FidInceptionV3.architecture().entrySet()) sd.putAll(randomBasicConv(e.getKey(), e.getValue(), g));
        FidInceptionV3 net = FidInceptionV3.fromStateDict(sd, Device.CPU);
        // the smallest input the network takes, to keep CI fast; pool3 itself resizes to 299 first (checked on the GPU machine)
        float[] f = net.unresized(Tensor.rand(new Generator(8), 1, 3, 75, 75).mul(2).sub(1)).toFloatArray();
        assertEquals(2048, f.length);
        for (float v : f) assertTrue(Float.isFinite(v) && v >= 0, "ReLU features averaged: " + v);
        assertEquals(94, FidInceptionV3.architecture().size());   // pytorch-fid's BasicConv2d count up to pool3
    }

    @Test void missingOrMisShapedWeightsAreNamed() {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        Generator g = new Generator(9);
        for (var e : FidInceptionV3.architecture().entrySet()) sd.putAll(randomBasicConv(e.getKey(), e.getValue(), g));
        sd.remove("Mixed_6c.branch7x7_2.conv.weight");
        var ex = assertThrows(IllegalArgumentException.class, () -> FidInceptionV3.fromStateDict(sd, Device.CPU));
        assertTrue(ex.getMessage().contains("Mixed_6c.branch7x7_2.conv.weight is missing"), ex.getMessage());
    }

    /** Conv weights and a batch norm with positive variances, as a converted pytorch-fid state dict names them. */
    static Map<String, Tensor> randomBasicConv(String p, FidInceptionV3.ConvSpec s, Generator g) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        double fan = s.in() * s.kh() * s.kw();
        m.put(p + ".conv.weight", Tensor.randn(g, DType.F32, Device.CPU, s.out(), s.in(), s.kh(), s.kw()).mul(Math.sqrt(2 / fan)));
        m.put(p + ".bn.weight", Tensor.rand(g, s.out()).add(0.5));
        m.put(p + ".bn.bias", Tensor.randn(g, s.out()).mul(0.1));
        m.put(p + ".bn.running_mean", Tensor.randn(g, s.out()).mul(0.1));
        m.put(p + ".bn.running_var", Tensor.rand(g, s.out()).add(0.5));
        return m;
    }
}
