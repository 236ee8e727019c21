package dev.diffusion4j.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.data.ShapesDataset;
import dev.diffusion4j.engine.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReferenceCacheTest {
    @TempDir Path tmp;

    @Test void computesOnceThenReadsTheSameNumbersBack() throws Exception {
        ReferenceCache cache = new ReferenceCache(tmp);
        PixelFeatures net = new PixelFeatures(4, 3);
        ShapesDataset ds = new ShapesDataset(40, 16, 3, 0);
        AtomicInteger computed = new AtomicInteger();
        ReferenceSet first = cache.getOrCompute(net, "shapes:40", () -> {
            computed.incrementAndGet();
            return FeatureExtraction.ofDataset(net, ds, 0, 16, Device.CPU, null);
        });
        ReferenceSet again = cache.getOrCompute(net, "shapes:40", () -> {
            computed.incrementAndGet();
            return FeatureExtraction.ofDataset(net, ds, 0, 16, Device.CPU, null);
        });
        assertEquals(1, computed.get());
        assertFalse(first.fromCache());
        assertTrue(again.fromCache());
        assertArrayEquals(first.features().values(), again.features().values());
        assertArrayEquals(first.stats().covariance(), again.stats().covariance());
        assertEquals("pixels-4x4", again.features().network());
        // another data spec or other weights: another entry
        cache.getOrCompute(net, "shapes:41", () -> FeatureExtraction.ofDataset(net, ds, 0, 16, Device.CPU, null));
        cache.getOrCompute(new PixelFeatures(2, 3), "shapes:40", () -> FeatureExtraction.ofDataset(new PixelFeatures(2, 3), ds, 0, 16, Device.CPU, null));
        try (var files = Files.list(tmp)) { assertEquals(3, files.count()); }
    }

    @Test void datasetSubsetIsEvenlySpaced() {
        ShapesDataset ds = new ShapesDataset(10, 8, 3, 0);
        PixelFeatures net = new PixelFeatures(2, 3);
        Features all = FeatureExtraction.ofDataset(net, ds, 0, 4, Device.CPU, null);
        Features five = FeatureExtraction.ofDataset(net, ds, 5, 4, Device.CPU, null);
        for (int i = 0; i < 5; i++) assertArrayEquals(all.row(2 * i), five.row(i));
    }
}
