package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.data.Pngs;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commands whose --image-size defaults to the data's own refuse an image folder without it, naming the option, before any work. */
class FolderImageSizeTest {
    @TempDir Path tmp;

    private Path folder() {
        Path dir = tmp.resolve("pics");
        Pngs.writeImage(dir.resolve("a.png"), new float[3 * 4 * 5], 0, 3, 4, 5);
        return dir;
    }

    @Test void onlyImageFoldersWithoutASizeAreRefused() {
        Path dir = folder();
        assertNull(FolderImageSize.missing(dir.toString(), 16, "x"));
        assertNull(FolderImageSize.missing("shapes:10", 0, "x"));
        String m = FolderImageSize.missing(dir.toString(), 0, "train-features");
        assertTrue(m.startsWith(dir + " is a folder of image files, which train-features needs") && m.contains("give --image-size N"), m);
    }

    @Test void trainAutoencoderAndTrainFeaturesNameTheOptionBeforeWriting() {
        Path dir = folder(), out = tmp.resolve("run");
        CliRun r = CliRun.of("train-autoencoder", "--preset", "kl-f4-tiny", "--data", dir.toString(), "--steps", "1", "--out", out.toString());
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("give --image-size N (e.g. --image-size 32)"), r.err());
        r = CliRun.of("train-features", "--data", dir.toString(), "--steps", "1", "--out", out.toString());
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains("which train-features needs at one size: give --image-size N"), r.err());
        assertFalse(Files.exists(out));
    }
}
