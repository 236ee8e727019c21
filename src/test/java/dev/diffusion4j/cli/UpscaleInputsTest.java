package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which files of an --input folder diffuse upscale reads: the ones training would, nothing hidden, no colliding outputs. */
class UpscaleInputsTest {
    @TempDir Path dir;

    private void touch(String name) throws IOException {
        Files.write(dir.resolve(name), new byte[] {1});
    }

    private List<String> names() {
        return UpscaleCommand.inputFiles(dir).stream().map(p -> p.getFileName().toString()).toList();
    }

    @Test void readsEveryImageExtensionTrainingReadsAndSkipsHiddenAndOtherFiles() throws IOException {
        for (String n : List.of("a.png", "b.webp", "c.TIF", "d.tiff", "e.JPG", ".DS_Store", "._a.png", ".f.png", "README.txt")) touch(n);
        Files.createDirectory(dir.resolve("sub.png"));
        assertEquals(List.of("a.png", "b.webp", "c.TIF", "d.tiff", "e.JPG"), names());
    }

    @Test void aFolderOfOnlyHiddenFilesHoldsNoImages() throws IOException {
        touch("._photo.png");
        String m = assertThrows(IllegalArgumentException.class, this::names).getMessage();
        assertTrue(m.contains("holds no image files") && m.contains("webp"), m);
    }

    @Test void imagesWhoseResultsWouldOverwriteEachOtherAreRefused() throws IOException {
        touch("photo.png");
        touch("photo.jpg");
        String m = assertThrows(IllegalArgumentException.class, this::names).getMessage();
        assertTrue(m.contains("share the name 'photo' (photo.jpg, photo.png)") && m.contains("rename one"), m);
    }
}
