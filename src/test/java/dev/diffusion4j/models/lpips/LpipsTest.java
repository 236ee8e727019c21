package dev.diffusion4j.models.lpips;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradCheck;
import dev.diffusion4j.engine.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** LPIPS: gradients (f64 finite differences), hand-computed values of its parts, and shape refusals. */
class LpipsTest {
    static final List<Integer> NARROW = List.of(3, 4, 4, 5, 5);

    @Test
    void gradientWithRespectToTheImage() {
        // the distance is symmetric in its images and training differentiates only through the reconstruction: y alone
        Lpips lpips = LpipsWeightsForTests.random(NARROW, 1, DType.F64);
        Tensor x = GradCheck.rand(2, -1, 1, 2, 3, 16, 16), y = GradCheck.rand(3, -1, 1, 2, 3, 16, 16);
        GradCheck.check("lpips", t -> lpips.distance(x, t[0]), y);
        // distanceToFixed (the training path) gives the same values and gradient, without a graph through x
        Tensor y1 = y.detach().requiresGrad(true), y2 = y.detach().requiresGrad(true);
        Tensor d1 = lpips.distance(x, y1), d2 = lpips.distanceToFixed(x, y2);
        d1.sum().backward();
        d2.sum().backward();
        assertArrayEquals(d1.toDoubleArray(), d2.toDoubleArray(), 0.0);
        assertArrayEquals(y1.grad().toDoubleArray(), y2.grad().toDoubleArray(), 0.0);
    }

    @Test
    void gradientOfTheTrunkAndOfTheNormalisation() {
        Vgg16Features vgg = Vgg16Features.fromStateDict(LpipsWeightsForTests.vgg(NARROW, 4), NARROW).to(Device.CPU, DType.F64);
        Tensor x = GradCheck.rand(5, -1, 1, 1, 3, 16, 17);   // an odd width: the pools drop the last column
        for (int k = 0; k < 5; k++) {
            int tap = k;
            GradCheck.check("vgg tap " + k, t -> vgg.taps(t[0])[tap], x);
        }
        GradCheck.check("normalise", t -> Lpips.normalise(t[0]), GradCheck.randn(6, 2, 4, 3, 3));
    }

    @Test
    void maxPoolKnownAnswerAndGradient() {
        Tensor x = Tensor.of(new float[] {1, 5, 2, 0, 9,
                                          3, 4, 8, 1, 9,
                                          7, 0, 6, 2, 9}, 1, 1, 3, 5);
        Tensor p = Vgg16Features.maxPool2x2(x);
        assertArrayEquals(new int[] {1, 1, 1, 2}, p.shape());   // floor mode: the odd row and column are dropped
        assertArrayEquals(new float[] {5, 8}, p.toFloatArray());
        GradCheck.check("max pool", t -> Vgg16Features.maxPool2x2(t[0]), GradCheck.randn(7, 2, 3, 4, 6));
    }

    @Test
    void identicalImagesAreAtDistanceZero() {
        Lpips lpips = LpipsWeightsForTests.random(NARROW, 8, DType.F32);
        Tensor x = GradCheck.rand(9, -1, 1, 3, 3, 16, 16).to(DType.F32);
        assertArrayEquals(new float[3], lpips.distance(x, x).toFloatArray());
        Tensor y = x.add(0.1);
        float[] d = lpips.distance(x, y).toFloatArray();
        for (float v : d) assertTrue(v > 0, "different images have a positive distance: " + v);
    }

    /**
     * The normalise / lin / mean part by hand: two channels, two positions per tap. Position 0: x's feature (2, 0)
     * normalises to (1, 0), y's (3, 4) to (0.6, 0.8); squared difference (0.16, 0.64). Position 1: equal, difference 0.
     * With lin weights (a, b) per tap the tap's value is (0.16 a + 0.64 b) / 2, summed over the five taps.
     */
    @Test
    void normaliseLinAndMeanByHand() {
        List<Integer> widths = List.of(2, 2, 2, 2, 2);
        double[][] lin = {{1, 0}, {0, 1}, {0.5, 0.5}, {2, 0}, {0, 0}};
        java.util.Map<String, Tensor> lins = new java.util.LinkedHashMap<>();
        for (int k = 0; k < 5; k++) lins.put("lin" + k + ".model.1.weight", Tensor.of(lin[k], 1, 2, 1, 1));
        Lpips lpips = Lpips.fromStateDicts(Vgg16Features.fromStateDict(LpipsWeightsForTests.vgg(widths, 10), widths), lins, widths)
                .to(Device.CPU, DType.F64);
        Tensor fx = Lpips.normalise(Tensor.of(new double[] {2, 1, 0, 1}, 1, 2, 1, 2));   // channel-major: c0 = (2, 1), c1 = (0, 1)
        Tensor fy = Lpips.normalise(Tensor.of(new double[] {3, 1, 4, 1}, 1, 2, 1, 2));
        assertArrayEquals(new double[] {1, 1 / Math.sqrt(2), 0, 1 / Math.sqrt(2)}, fx.toDoubleArray(), 1e-9);
        Tensor[] x = new Tensor[5], y = new Tensor[5];
        java.util.Arrays.fill(x, fx);
        java.util.Arrays.fill(y, fy);
        double expected = 0;
        for (double[] l : lin) expected += (0.16 * l[0] + 0.64 * l[1]) / 2;
        assertEquals(expected, lpips.distance(x, y).item(), 1e-9);
    }

    @Test
    void aGrayImageReadsAsItsRgbCopy() {
        Lpips lpips = LpipsWeightsForTests.random(NARROW, 11, DType.F32);
        Tensor g1 = GradCheck.rand(12, -1, 1, 2, 1, 16, 16).to(DType.F32), g2 = GradCheck.rand(13, -1, 1, 2, 1, 16, 16).to(DType.F32);
        Tensor rgb1 = Tensor.cat(1, g1, g1, g1), rgb2 = Tensor.cat(1, g2, g2, g2);
        assertArrayEquals(lpips.distance(rgb1, rgb2).toFloatArray(), lpips.distance(g1, g2).toFloatArray(), 1e-6f);
    }

    @Test
    void refusesWeightsThatAreNotLpips() {
        Vgg16Features vgg = Vgg16Features.fromStateDict(LpipsWeightsForTests.vgg(NARROW, 15), NARROW);
        java.util.Map<String, Tensor> lins = new java.util.LinkedHashMap<>(LpipsWeightsForTests.lins(NARROW, 16));
        lins.put("lin3.model.1.weight", lins.get("lin3.model.1.weight").sub(1));
        var negative = assertThrows(IllegalArgumentException.class, () -> Lpips.fromStateDicts(vgg, lins, NARROW));
        assertTrue(negative.getMessage().contains("lin3.model.1.weight has negative entries"), negative.getMessage());
        lins.remove("lin3.model.1.weight");
        var missing = assertThrows(IllegalArgumentException.class, () -> Lpips.fromStateDicts(vgg, lins, NARROW));
        assertEquals("no tensor 'lin3.model.1.weight'", missing.getMessage());
        var vggKey = assertThrows(IllegalArgumentException.class, () -> Vgg16Features.fromStateDict(java.util.Map.of(), NARROW));
        assertEquals("no tensor 'features.0.weight'", vggKey.getMessage());
    }

    @Test
    void refusesImagesItCannotRead() {
        Lpips lpips = LpipsWeightsForTests.random(NARROW, 14, DType.F32);
        var small = assertThrows(IllegalArgumentException.class, () -> lpips.distance(Tensor.zeros(1, 3, 8, 16), Tensor.zeros(1, 3, 8, 16)));
        assertTrue(small.getMessage().contains("at least 16x16"), small.getMessage());
        var rgba = assertThrows(IllegalArgumentException.class, () -> Lpips.checkSize(4, 32, 32));
        assertTrue(rgba.getMessage().contains("4-channel"), rgba.getMessage());
    }
}
