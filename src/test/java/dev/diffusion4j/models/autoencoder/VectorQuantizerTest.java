package dev.diffusion4j.models.autoencoder;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class VectorQuantizerTest {
    /** Codes (0, 0), (1, 0), (0, 2). */
    static VectorQuantizer threeCodes() {
        VectorQuantizer vq = new VectorQuantizer(3, 2, 0.25, new Generator(0));
        vq.embedding().weight().copyFrom(Tensor.of(new float[] {0, 0, 1, 0, 0, 2}, 3, 2));
        return vq;
    }

    /** Latent vectors (0.9, 0.1), (0.1, 1.5) as [1, 2, 1, 2] (channels first). */
    static Tensor twoVectors() { return Tensor.of(new float[] {0.9f, 0.1f, 0.1f, 1.5f}, 1, 2, 1, 2); }

    @Test
    void nearestCodesQuantisedLatentsAndLoss() {
        VectorQuantizer vq = threeCodes();
        vq.eval();
        VectorQuantizer.Quantized q = vq.quantize(twoVectors());
        assertArrayEquals(new long[] {1, 2}, q.indices().toLongArray());
        assertArrayEquals(new int[] {1, 1, 2}, q.indices().shape());
        assertArrayEquals(new float[] {1, 0, 0, 2}, q.latents().toFloatArray(), 1e-7f);
        // squared errors 0.01, 0.01, 0.01, 0.25 -> mean 0.07; codebook 0.07 + 0.25 * commitment 0.07
        assertEquals(0.0875, q.loss().item(), 1e-7);
    }

    @Test
    void tiesGoToTheFirstCode() {
        Tensor between = Tensor.of(new float[] {0.5f, 0f}, 1, 2, 1, 1);
        assertArrayEquals(new long[] {0}, threeCodes().quantize(between).indices().toLongArray());
    }

    @Test
    void gradientsPassStraightThroughAndTheLossReachesTheCodebook() {
        VectorQuantizer vq = threeCodes();
        Tensor z = twoVectors().to(DType.F64).requiresGrad(true);
        vq.to(DType.F64);
        VectorQuantizer.Quantized q = vq.quantize(z);
        Tensor w = Tensor.of(new double[] {1, -2, 3, 0.5}, 1, 2, 1, 2);
        q.latents().mul(w).sum().backward();
        assertArrayEquals(w.toDoubleArray(), z.grad().toDoubleArray(), 0);   // identity on z
        assertNull(vq.embedding().weight().grad());

        z.zeroGrad();
        VectorQuantizer.Quantized q2 = vq.quantize(z);
        q2.loss().backward();
        // d/dq mean((q - sg z)^2) = 2 (q - z) / 4 on the used codes; d/dz 0.25 * mean((z - sg q)^2) = 0.125 (z - q), NCHW
        double[] g = vq.embedding().weight().grad().toDoubleArray();
        assertArrayEquals(new double[] {0, 0, 0.05, -0.05, -0.05, 0.25}, g, 1e-6);
        assertArrayEquals(new double[] {-0.0125, 0.0125, 0.0125, -0.0625}, z.grad().toDoubleArray(), 1e-6);
    }

    @Test
    void emaUpdateMatchesTheHandComputedCodebook() {
        double decay = 0.5, eps = 1e-5;
        VectorQuantizer vq = threeCodes().useEma(decay, eps);
        VectorQuantizer.Quantized q = vq.quantize(twoVectors());   // training mode: one update
        // counts (0, 1, 1); sums: code 1 gets (0.9, 0.1), code 2 gets (0.1, 1.5)
        double[] size = {0.5 * 1 + 0.5 * 0, 0.5 * 1 + 0.5 * 1, 0.5 * 1 + 0.5 * 1};
        double[][] sum = {{0, 0}, {0.5 * 1 + 0.5 * 0.9, 0.5 * 0 + 0.5 * 0.1}, {0.5 * 0 + 0.5 * 0.1, 0.5 * 2 + 0.5 * 1.5}};
        double total = size[0] + size[1] + size[2];
        double[] expected = new double[6];
        for (int k = 0; k < 3; k++) {
            double smoothed = (size[k] + eps) / (total + 3 * eps) * total;
            expected[2 * k] = sum[k][0] / smoothed;
            expected[2 * k + 1] = sum[k][1] / smoothed;
        }
        assertArrayEquals(expected, vq.embedding().weight().data().toDoubleArray(), 1e-6);
        assertArrayEquals(size, vq.stateDict().get("ema_cluster_size").toDoubleArray(), 1e-7);
        // with EMA the codebook term is left out: the loss is beta * commitment = 0.25 * 0.07
        assertEquals(0.0175, q.loss().item(), 1e-7);
        vq.eval();
        double[] before = vq.embedding().weight().data().toDoubleArray();
        vq.quantize(twoVectors());
        assertArrayEquals(before, vq.embedding().weight().data().toDoubleArray(), 0);   // no updates in eval mode
    }

    @Test
    void usageAndPerplexity() {
        VectorQuantizer vq = new VectorQuantizer(4, 2, 0.25, new Generator(0));
        float[] codes = {0, 0, 1, 0, 0, 1, 1, 1};
        vq.embedding().weight().copyFrom(Tensor.of(codes, 4, 2));
        vq.eval();
        // each code once: uniform use, perplexity K
        vq.quantize(Tensor.of(codes, 1, 4, 2).permute(0, 2, 1).reshape(1, 2, 1, 4));
        assertEquals(4, vq.perplexity(), 1e-12);
        assertEquals(4, vq.codesInUse());
        assertArrayEquals(new long[] {1, 1, 1, 1}, vq.lastUsage());
        // one code only: perplexity 1
        vq.quantize(Tensor.zeros(2, 2, 2, 2));
        assertEquals(1, vq.perplexity(), 1e-12);
        assertEquals(1, vq.codesInUse());
    }

    @Test
    void deadCodesRestartFromTheBatch() {
        VectorQuantizer vq = threeCodes().restartDeadCodes(2, new Generator(5));
        Tensor z = twoVectors();
        vq.quantize(z);   // code 0 unused once: kept
        assertArrayEquals(new float[] {0, 0}, vq.embedding().weight().data().select(0, 0).toFloatArray());
        vq.quantize(z);   // twice: restarted from one of the batch's vectors
        float[] code0 = vq.embedding().weight().data().select(0, 0).toFloatArray();
        assertTrue(List.of("[0.9, 0.1]", "[0.1, 1.5]").contains(java.util.Arrays.toString(code0)), java.util.Arrays.toString(code0));
    }

    @Test
    void vqModelQuantisesOnceAndNamesItsCodebookAsDiffusers() {
        VQModel m = AutoencoderStepParity.tinyVq();   // f = 2, 64 codes of width 4
        for (String k : List.of("quantize.embedding.weight", "quant_conv.weight", "post_quant_conv.bias", "encoder.conv_out.weight"))
            assertTrue(m.stateDict().containsKey(k), k);
        assertArrayEquals(new int[] {64, 4}, m.stateDict().get("quantize.embedding.weight").shape());
        VQModel.Encoding e = m.encode(Tensor.randn(new Generator(2), 2, 3, 8, 8));
        assertArrayEquals(new int[] {2, 4, 4, 4}, e.latents(null).shape());
        Tensor rec = m.decode(e.latents(null));
        assertArrayEquals(new int[] {2, 3, 8, 8}, rec.shape());
        assertSame(e.quantized(), e.quantized());
        assertEquals(e.quantized().loss().item(), e.regularization().item());
    }
}
