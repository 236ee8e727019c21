package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the image decoder (PNG, JPEG, BMP, GIF, TIFF, WebP), IDX (plain and gzip), CIFAR and
 * safetensors readers in a child JVM with a 128 MiB heap (see {@link ReaderFuzzMain}): every
 * case must end in a result or the project's clear exception, and none may exhaust the heap.
 */
class BinaryReadersFuzzTest {
    @TempDir
    Path dir;

    @Test
    void everyBinaryReaderGivesAResultOrAClearMessage() throws Exception {
        ChildJvm.Outcome o = ChildJvm.run(ReaderFuzzMain.class, List.of("-Xmx128m", "-XX:+ExitOnOutOfMemoryError"),
                Map.of(), dir.toString(), "image", "idx", "cifar", "safetensors");
        assertEquals(0, o.exitCode(), o.output());
        for (String reader : new String[] {"image .png", "image .jpg", "image .webp", "IDX gzip", "CIFAR", "safetensors"}) {
            assertTrue(o.output().contains(reader + ": "), reader + " was not fuzzed: " + o.output());
        }
    }
}
