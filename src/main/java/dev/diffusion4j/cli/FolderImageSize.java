package dev.diffusion4j.cli;

import dev.diffusion4j.data.Datasets;

/**
 * The refusal of an image folder without {@code --image-size} in the commands where it defaults to 0 (the data's
 * own size): IDX, CIFAR-10 and shapes have one, a folder of image files of any sizes has none. Checked before the
 * folder is scanned or decoded, and names the option, so the hint runs as printed.
 */
final class FolderImageSize {
    private FolderImageSize() {}

    /** Why {@code spec} cannot be opened at {@code size}, or null when it can. */
    static String missing(String spec, int size, String who) {
        if (size > 0 || !Datasets.isImageFolder(spec)) return null;
        return spec + " is a folder of image files, which " + who + " needs at one size: give --image-size N (e.g. --image-size 32)"
                + " to resize and centre-crop them to NxN";
    }
}
