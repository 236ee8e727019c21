package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * GraphedDenoiser on the CPU, which has no graphs: every call goes to the wrapped denoiser, with x_t, t and each
 * named conditioning tensor where it belongs (the wrapper passes them flat and rebuilds the conditioning). CudaGraphTest
 * checks the replays on a GPU.
 */
class GraphedDenoiserTest {
    /** x_t * 2 + t + (first name) - 3 * (second name), so a swapped or lost entry changes the result. */
    private static final Denoiser NET = (x, t, c) -> {
        Tensor y = x.mul(2).add(t.reshape(t.shape(0), 1));
        if (c == null) return y;
        return y.add(c.get("label").reshape(t.shape(0), 1)).sub(c.get("context").mul(3));
    };

    @Test
    void callsTheDenoiserWithItsInputsOnTheCpu() {
        Tensor x = Tensor.randn(new Generator(1), 2, 3), t = Tensor.randn(new Generator(2), 2);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("label", Tensor.randn(new Generator(3), 2));
        m.put("context", Tensor.randn(new Generator(4), 2, 3));
        Conditioning cond = Conditioning.of(m);
        try (var g = GradMode.off(); var graphed = new GraphedDenoiser(NET)) {
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(NET.apply(x, t, cond).toFloatArray(), graphed.apply(x, t, cond).toFloatArray(), 0);
                assertArrayEquals(NET.apply(x, t, null).toFloatArray(), graphed.apply(x, t, null).toFloatArray(), 0);
            }
            Map<String, Tensor> swapped = new LinkedHashMap<>();
            swapped.put("context", m.get("context"));
            swapped.put("label", m.get("label"));
            assertArrayEquals(NET.apply(x, t, cond).toFloatArray(), graphed.apply(x, t, Conditioning.of(swapped)).toFloatArray(), 0,
                    "the same names in another order");
            assertEquals(0, graphed.replays());
            assertEquals(0, graphed.captures());
            assertNull(graphed.lastRefusal());
        }
    }
}
