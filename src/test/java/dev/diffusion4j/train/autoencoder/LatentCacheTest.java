package dev.diffusion4j.train.autoencoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatentCacheTest {
    @TempDir Path tmp;

    @Test void cachesThePosteriorModeAndItsStd() {
        ImageDataset pixels = Datasets.open("shapes:10", 3, 8);
        ConvTestAutoencoder ae = new ConvTestAutoencoder(3, 2, 8, new Generator(1));
        ae.eval();
        // shards of 4 images, batches of 3: the split must not change the values
        int[] counted = {0};
        var first = LatentCache.load(tmp, "hash-a", "shapes:10", pixels, ae, Device.CPU, 3, 4, n -> counted[0] += n);
        assertEquals(10, counted[0]);
        assertFalse(first.reused());
        assertTrue(java.nio.file.Files.isRegularFile(first.dir().resolve("shard-00002.safetensors")));   // 4 + 4 + 2
        float[] direct;
        try (var g = GradMode.off()) {
            direct = ae.encode(AutoencoderData.first(pixels, 10)).latents(null).contiguous().toFloatArray();
        }
        assertArrayEquals(direct, first.values(), 1e-6f);
        assertEquals(2, first.c());
        assertEquals(4, first.h());
        double s = 0, ss = 0;
        for (float v : direct) { s += v; ss += (double) v * v; }
        double mean = s / direct.length, std = Math.sqrt(ss / direct.length - mean * mean);
        assertEquals(std, first.std(), 1e-9);
        for (int i = 0; i < 10; i++) assertEquals(pixels.label(i), first.labels()[i]);

        var again = LatentCache.load(tmp, "hash-a", "shapes:10", pixels, ae, Device.CPU, 3, 4, n -> { throw new AssertionError("encoded again"); });
        assertTrue(again.reused());
        assertArrayEquals(first.values(), again.values());
        assertNotEquals(LatentCache.key("hash-a", "shapes:10", pixels), LatentCache.key("hash-b", "shapes:10", pixels));

        // scale_by_std: the dataset serves latents times 1/std, so they have unit std
        LatentDataset ds = new LatentDataset(first, 1 / first.std(), pixels.numClasses(), pixels.describe());
        float[] one = new float[ds.imageLength()];
        ds.load(3, one, 0);
        for (int i = 0; i < one.length; i++) assertEquals(direct[3 * one.length + i] / first.std(), one[i], 1e-5);
    }
}
