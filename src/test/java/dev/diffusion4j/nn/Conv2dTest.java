package dev.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Conv2dParams;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

class Conv2dTest {
    @Test
    void conv2dInitUsesFanInOfItsGroup() {
        Conv2d c = new Conv2d(8, 6, 3, 2, new Conv2dParams(1, 1, 0, 0, 1, 1, 2), true, new Generator(1));
        assertArrayEquals(new int[] {6, 4, 3, 2}, c.weight().shape());
        double bound = 1 / Math.sqrt(4 * 3 * 2);
        double max = 0;
        for (float v : c.weight().data().toFloatArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound && max > 0.8 * bound, "max |w| " + max + ", bound " + bound);
        for (float v : c.bias().data().toFloatArray()) assertTrue(Math.abs(v) <= bound);
        assertArrayEquals(c.weight().data().toFloatArray(),
                new Conv2d(8, 6, 3, 2, new Conv2dParams(1, 1, 0, 0, 1, 1, 2), true, new Generator(1)).weight().data().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(6, 4, 3, 3, new Conv2dParams(1, 1, 0, 0, 1, 1, 4), true, new Generator(1)));
    }

    @Test
    void conv2dReprLikePyTorch() {
        Generator g = new Generator(1);
        assertEquals("Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))", new Conv2d(3, 64, 3, 1, 1, g).toString());
        assertEquals("Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2, bias=False)",
                new Conv2d(4, 6, 3, 2, new Conv2dParams(2, 1, 1, 2, 1, 2, 2), false, g).toString());
    }

    // torch.nn.functional.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2) in float64 on the
    // weights Generator(3) draws and x = randn(Generator(8), 1, 4, 3, 4)
    static final double[] TORCH_CONV = {-0.22689762, -0.43860702, 0.23903714, -0.70141011, -0.4050083, -0.76995687, 0.26654017,
        0.1656992, -0.93614825, 0.20317494, 0.096338075, 0.20643815, -0.36207398, -0.24555676, -0.95884508, 0.0028239193,
        0.16187371, 0.0029438433, 0.00091737497, -0.33053486, -0.88825898, -0.20660625, -0.77132656, -0.27732848, -0.39377041,
        -0.16749561, -1.5412639, 0.22893277, -0.35369584, 0.18278175, -0.39036735, -0.53923009, -1.4063442, -0.53842908,
        0.030350319, 0.1126699, -0.31860256, -0.26116045, 0.0053342048, -0.03381238, -0.29942771, 0.15454957, -0.23336957,
        -0.44811797, -0.10573932, -0.69772061, -0.3149851, -0.48694595, -0.089329674, -0.031650338, -0.60743297, 0.2284421,
        -0.70881155, 0.55725314, -0.45381628, -0.029677522, 0.098187972, -0.45760812, -0.21975197, -0.57119007, -0.037146482,
        0.11872363, 0.25834484, 0.038108929, -0.061690532, -0.50455966, -0.042724316, 0.34408681, -0.36255507, 0.35989872,
        -0.1183738, 0.16645068};

    @Test
    void conv2dPassesAllSettingsToTheOp() {
        Conv2d c = new Conv2d(4, 6, 3, 2, new Conv2dParams(2, 1, 1, 2, 1, 2, 2), true, new Generator(3));
        Tensor y = c.forward(Tensor.randn(new Generator(8), 1, 4, 3, 4));
        assertArrayEquals(new int[] {1, 6, 2, 6}, y.shape());
        assertArrayEquals(TORCH_CONV, y.toDoubleArray(), 2e-6);
    }

    @Test
    void conv2dGradientsMatchFiniteDifferences() {
        Conv2d c = new Conv2d(4, 6, 3, 2, new Conv2dParams(2, 1, 1, 2, 1, 2, 2), true, new Generator(3));
        ModuleGradCheck.check("conv2d", c, Tensor.randn(new Generator(8), 1, 4, 3, 4));
    }

    @Test
    void channelsLastGivesTheChannelsFirstValues() {
        Conv2d c = new Conv2d(4, 6, 3, 1, 1, new Generator(4));
        Tensor x = Tensor.randn(new Generator(9), 2, 4, 5, 5), xl = x.permute(0, 2, 3, 1).contiguous();
        Tensor got = c.forward(xl, null, true, dev.diffusion4j.engine.MemoryFormat.CHANNELS_LAST).permute(0, 3, 1, 2);
        assertArrayEquals(c.forward(x).toDoubleArray(), got.contiguous().toDoubleArray(), 1e-5);
    }
}
