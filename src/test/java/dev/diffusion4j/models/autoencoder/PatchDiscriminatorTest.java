package dev.diffusion4j.models.autoencoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.ModuleGradCheck;
import org.junit.jupiter.api.Test;

class PatchDiscriminatorTest {
    @Test void tamingLayoutForThreeLayers() {
        var d = new PatchDiscriminator(3, 64, 3, new Generator(0));
        var p = d.namedParameters();
        assertArrayEquals(new int[] {64, 3, 4, 4}, p.get("convs.0.weight").shape());
        assertArrayEquals(new int[] {128, 64, 4, 4}, p.get("convs.1.weight").shape());
        assertArrayEquals(new int[] {256, 128, 4, 4}, p.get("convs.2.weight").shape());
        assertArrayEquals(new int[] {512, 256, 4, 4}, p.get("convs.3.weight").shape());
        assertArrayEquals(new int[] {1, 512, 4, 4}, p.get("convs.4.weight").shape());
        assertEquals(null, p.get("convs.1.bias"));          // normed convolutions carry no bias
        // 32 -> 16 -> 8 -> 4 (stride 2) -> 3 -> 2 (stride 1): a 2x2 map of patch logits
        assertEquals(2, PatchDiscriminator.outputSide(32, 3));
        Tensor y = d.forward(Tensor.randn(new Generator(1), 2, 3, 32, 32));
        assertArrayEquals(new int[] {2, 1, 2, 2}, y.shape());
        assertEquals(0, PatchDiscriminator.outputSide(16, 3));
    }

    @Test void gradientsMatchFiniteDifferences() {
        var d = new PatchDiscriminator(2, 4, 1, new Generator(2));
        ModuleGradCheck.check("PatchDiscriminator", d, Tensor.randn(new Generator(3), 2, 2, 8, 8));
    }
}
