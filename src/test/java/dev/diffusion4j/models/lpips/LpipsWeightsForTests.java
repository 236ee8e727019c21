package dev.diffusion4j.models.lpips;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Random VGG16 / LPIPS state dicts with torchvision's and lpips' names, for narrow test networks. */
public final class LpipsWeightsForTests {
    private LpipsWeightsForTests() {}

    /** features.N.weight (Kaiming fan-out scale, as torchvision initialises) and .bias (around 0.05, so stages stay alive). */
    public static Map<String, Tensor> vgg(List<Integer> widths, long seed) {
        Generator gen = new Generator(seed);
        Map<String, Tensor> m = new LinkedHashMap<>();
        int in = 3;
        for (int s = 0; s < Vgg16Features.CONV_INDICES.length; s++)
            for (int idx : Vgg16Features.CONV_INDICES[s]) {
                int out = widths.get(s);
                m.put("features." + idx + ".weight", Tensor.randn(gen, out, in, 3, 3).mul(Math.sqrt(2.0 / (out * 9))));
                m.put("features." + idx + ".bias", Tensor.randn(gen, out).mul(0.05).add(0.05));
                in = out;
            }
        return m;
    }

    /** lin0..lin4.model.1.weight, uniform in [0, 0.2) like lpips' (non-negative) channel weights. */
    public static Map<String, Tensor> lins(List<Integer> widths, long seed) {
        Generator gen = new Generator(seed);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int k = 0; k < widths.size(); k++) m.put("lin" + k + ".model.1.weight", Tensor.rand(gen, 1, widths.get(k), 1, 1).mul(0.2));
        return m;
    }

    static Lpips random(List<Integer> widths, long seed, DType dtype) {
        return Lpips.fromStateDicts(Vgg16Features.fromStateDict(vgg(widths, seed), widths), lins(widths, seed + 1), widths).to(Device.CPU, dtype);
    }
}
