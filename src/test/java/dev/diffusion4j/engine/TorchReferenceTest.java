package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/**
 * Forward values pinned against PyTorch 1.13 (float64) for ops whose conventions are easy to get subtly wrong.
 * Inputs are sin(0.37 * i) over the flat index, reproducible in both languages.
 */
class TorchReferenceTest {
    static Tensor pattern(int... shape) {
        double[] v = new double[(int) Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = Math.sin(i * 0.37);
        return Tensor.of(v, shape);
    }

    @Test
    void groupedStridedConvolution() {
        Tensor x = pattern(1, 4, 5, 5), w = pattern(4, 2, 3, 3).flip(0).mul(0.5);
        Tensor b = Tensor.of(new double[] {0.1, -0.2, 0.3, 0.05}, 4);
        Tensor y = F.conv2d(x, w, b, new Conv2dParams(2, 2, 1, 1, 1, 1, 2));
        assertArrayEquals(new int[] {1, 4, 3, 3}, y.shape());
        assertArrayEquals(new double[] {-1.23831495, -0.233361504, 1.09835642, 2.42816188, 0.674735176, -1.30332647, -0.590891702,
            1.04417838, 1.81365335, -0.939318033, 0.578020686, 1.32884006, 1.38865052, -0.698148478, -1.81626883, -0.272891308,
            1.64255842, 1.76859781, -0.328142406, 1.28042179, 1.97157006, 1.61351419, -0.258073899, -1.0879867, 0.162646414,
            2.0782337, 2.21786249, 0.0881385876, 1.97694794, 2.00112414, 0.191267933, -1.80328, -1.53405537, 0.533318604,
            2.41868515, 1.89361137}, y.toDoubleArray(), 1e-7);
    }

    @Test
    void transposedConvolutionWithOutputPadding() {
        Tensor x = pattern(1, 4, 5, 5), w = pattern(4, 3, 3, 3).flip(1).mul(0.3);
        Tensor y = F.convTranspose2d(x, w, null, Conv2dParams.of(2, 1), 1);
        assertArrayEquals(new int[] {1, 3, 10, 10}, y.shape());
        assertArrayEquals(new double[] {5.5283649, -9.5679758, 13.2689526}, y.sum(new int[] {2, 3}, false).toDoubleArray(), 1e-6);
    }

    @Test
    void bilinearResizeMatchesAlignCornersFalse() {
        assertArrayEquals(new double[] {0, 0.129148369, 0.335785758, 0.517951672, 0.690102967, 0.816623409, 0.895698686, 0.398352338,
            0.470897696, 0.586970269, 0.662339138, 0.724901651, 0.738523372, 0.747036948, 0.995880845, 0.983521687, 0.963747035,
            0.878920338, 0.777099677, 0.621373317, 0.524044342, 0.506710099, 0.422932664, 0.28888877, 0.136428894, -0.0186688411,
            -0.173815605, -0.270782333, 0.180596268, 0.0492066495, -0.16101674, -0.358565402, -0.549181187, -0.703941553,
            -0.800666782}, F.upsampleBilinear(pattern(1, 1, 3, 4), 5, 7).toDoubleArray(), 1e-8);
        assertArrayEquals(new double[] {0.281578458, -0.173452434, -0.503782432, 0.500921756, 0.16628235, -0.287903132},
                F.upsampleBilinear(pattern(1, 1, 5, 7), 2, 3).toDoubleArray(), 1e-8);
    }

    @Test
    void poolingAndGelu() {
        assertArrayEquals(new double[] {0.57969287, 0.722649103, -0.491267288, -0.723097615},
                F.avgPool2d(pattern(1, 1, 4, 4), 2, 2).toDoubleArray(), 1e-8);
        Tensor g = Tensor.of(new double[] {-2, -0.5, 0.3, 1.7}, 4);
        assertArrayEquals(new double[] {-0.0455002639, -0.154268769, 0.185373427, 1.62423871}, F.gelu(g).toDoubleArray(), 1e-8);
        assertArrayEquals(new double[] {-0.0454023059, -0.15428599, 0.185370924, 1.6241059}, F.geluTanh(g).toDoubleArray(), 1e-8);
    }
}
