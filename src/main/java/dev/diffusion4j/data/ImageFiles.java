package dev.diffusion4j.data;

import java.nio.file.Path;
import java.util.TreeSet;

/**
 * Which files a command that lists a folder of images reads: the extensions image folders read (any case), hidden
 * files left out ({@code .DS_Store}, and macOS's {@code ._photo.png} resource forks, which are not images), so a
 * folder gives a command the same images it gives training.
 */
public final class ImageFiles {
    private ImageFiles() {}

    /** Whether {@code file}'s name is a visible image file's. */
    public static boolean isImage(Path file) {
        Path name = file.getFileName();
        return name != null && !name.toString().startsWith(".") && FolderScan.isImageName(file);
    }

    /** The extensions read, for messages: "bmp/gif/jpeg/jpg/png/tif/tiff/webp". */
    public static String extensions() {
        return String.join("/", new TreeSet<>(FolderScan.EXTENSIONS));
    }
}
