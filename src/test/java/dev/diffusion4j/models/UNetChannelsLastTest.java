package dev.diffusion4j.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.MemoryFormat;
import dev.diffusion4j.engine.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The U-Net's channels-last path (what it takes on CUDA) gives the channels-first values and gradients. On the CPU
 * the channels-last convolutions and norms permute around the ordinary kernels, so this checks the model's own
 * channels-last code: attention token order, the per-channel embedding terms, skip concatenation, resampling.
 * The native CUDA kernels are checked against these in UNetCudaParityTest and the parity cases.
 */
class UNetChannelsLastTest {
    private static void sameValuesAndGradients(UNetConfig c, Tensor context) {
        UNet m = new UNet(c, new Generator(11));
        m.to(DType.F64);
        int ch = c.inChannels() + c.lowResChannels();
        Tensor x = Tensor.randn(new Generator(12), DType.F64, Device.CPU, 2, ch, c.resolution(), c.resolution());
        Tensor t = Tensor.ofLongs(new long[] {7, 640}, 2);
        Tensor labels = c.numClasses() > 0 ? Tensor.ofLongs(new long[] {1, 0}, 2) : null;
        Tensor w = Tensor.randn(new Generator(13), DType.F64, Device.CPU, m.forward(x, t, labels, null, context).shape());
        Tensor[] out = new Tensor[2];
        Map<String, Tensor>[] grads = new Map[2];
        for (MemoryFormat f : MemoryFormat.values()) {
            m.setMemoryFormat(f);
            m.zeroGrad();
            Tensor xi = x.detach().requiresGrad(true);
            out[f.ordinal()] = m.forward(xi, t, labels, null, context);
            out[f.ordinal()].mul(w).sum().backward();
            Map<String, Tensor> g = new java.util.TreeMap<>();
            m.namedParameters().forEach((k, p) -> g.put(k, p.grad()));
            g.put("input", xi.grad());
            grads[f.ordinal()] = g;
        }
        assertArrayEquals(out[0].toDoubleArray(), out[1].toDoubleArray(), 1e-10, "forward");
        for (String k : grads[0].keySet())
            assertArrayEquals(grads[0].get(k).toDoubleArray(), grads[1].get(k).toDoubleArray(), 1e-9, "gradient of " + k);
    }

    @Test
    void addedEmbeddingConvResamplingAndHeadsFirstAttention() {
        // scale-shift off, conv resampling, attention at 8x8 and 4x4, two heads
        sameValuesAndGradients(new UNetConfig(3, 16, new int[] {1, 2, 2}, 1, new int[] {8, 4}, 16, 0.0, 0, 2, false, true, true, true, 4, 8), null);
    }

    @Test
    void scaleShiftPoolingAndNearestWithoutConv() {
        sameValuesAndGradients(new UNetConfig(1, 8, new int[] {1, 2}, 2, new int[] {4}, 8, 0.0, 4, 1, true, false, false, false, 0, 4), null);
    }

    @Test
    void textConditionedBlocksTakeTheirTransposes() {
        sameValuesAndGradients(TextUNetTest.TEXT, Tensor.randn(new Generator(14), DType.F64, Device.CPU, 2, 3, 6));
    }
}
