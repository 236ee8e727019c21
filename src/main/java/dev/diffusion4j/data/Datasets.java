package dev.diffusion4j.data;

import dev.diffusion4j.io.ShellWords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Opens a dataset from what a user types: {@code shapes[:COUNT[:SEED]]} for the generated
 * shapes, or a path to a folder of IDX files (or one IDX images file), a CIFAR-10 binary folder
 * (or one .bin batch), or a folder of images. The result has the requested channels and
 * {@code size x size} images; 0 or less keeps the source's own (an image folder needs a size).
 */
public final class Datasets {
    private static final Logger LOG = Logger.getLogger("dev.diffusion4j.data");

    private Datasets() {}

    /** The train split, warnings to java.util.logging. */
    public static ImageDataset open(String spec, int channels, int size) {
        return open(spec, channels, size, "train", LOG::warning);
    }

    /**
     * @param split    "train" or "test" for IDX and CIFAR; for an image folder, a sub-folder of
     *                 that name is used if the folder has one
     * @param warnings receives messages about skipped files and the like
     */
    public static ImageDataset open(String spec, int channels, int size, String split, Consumer<String> warnings) {
        if (spec == null || spec.isBlank()) {
            throw new DatasetException("no dataset given", "give a folder of images, an IDX or CIFAR-10 folder, or 'shapes'");
        }
        String s = spec.strip();
        if (s.equals("shapes") || s.startsWith("shapes:")) return shapes(s, channels, size);
        Path path = FileNames.toPath(s.startsWith("~/") ? System.getProperty("user.home") + s.substring(1) : s, "dataset path");
        if (!Files.exists(path)) {
            throw new DatasetException("dataset path " + path + " does not exist",
                    "check the path; datasets are never downloaded, or use 'shapes' for the built-in generated one");
        }
        ImageDataset ds = Files.isDirectory(path) ? openDir(path, channels, size, split, warnings) : openFile(path, split);
        return ConvertedDataset.of(ds, channels, size);
    }

    /**
     * Whether {@code open} would read a split of that name rather than fall back to all the images: IDX and CIFAR-10
     * folders (which refuse a missing split themselves) and image folders with a sub-folder of that name. The
     * built-in shapes, a single IDX or CIFAR file and a plain image folder have one set of images only.
     */
    public static boolean hasSplit(String spec, String split) {
        if (spec == null || spec.isBlank()) return true;      // open names the problem
        String s = spec.strip();
        if (s.equals("shapes") || s.startsWith("shapes:")) return false;
        Path path = FileNames.toPath(s.startsWith("~/") ? System.getProperty("user.home") + s.substring(1) : s, "dataset path");
        if (!Files.isDirectory(path)) return !Files.exists(path);
        return hasIdx(path) || Cifar10Dataset.looksLikeCifar(path) || Files.isDirectory(path.resolve(Split.check(split)));
    }

    /** Whether {@code spec} names a folder of image files (which {@code open} needs a target size for), not shapes, IDX or CIFAR-10. */
    public static boolean isImageFolder(String spec) {
        if (spec == null || spec.isBlank()) return false;
        String s = spec.strip();
        if (s.equals("shapes") || s.startsWith("shapes:")) return false;
        Path path = FileNames.toPath(s.startsWith("~/") ? System.getProperty("user.home") + s.substring(1) : s, "dataset path");
        return Files.isDirectory(path) && !hasIdx(path) && !Cifar10Dataset.looksLikeCifar(path);
    }

    private static ImageDataset shapes(String spec, int channels, int size) {
        String[] parts = spec.split(":");
        try {
            int count = parts.length > 1 ? Integer.parseInt(parts[1]) : ShapesDataset.DEFAULT_SIZE;
            long seed = parts.length > 2 ? Long.parseLong(parts[2]) : 0L;
            if (parts.length > 3) throw new NumberFormatException();
            return new ShapesDataset(count, size > 0 ? size : ShapesDataset.DEFAULT_RESOLUTION,
                    channels > 0 ? channels : 3, seed);
        } catch (NumberFormatException e) {
            throw new DatasetException("cannot read the shapes spec '" + spec + "'",
                    "write shapes, shapes:COUNT or shapes:COUNT:SEED, e.g. shapes:20000:7");
        }
    }

    private static ImageDataset openDir(Path dir, int channels, int size, String split, Consumer<String> warnings) {
        if (hasIdx(dir)) return IdxDataset.open(dir, split);
        if (Cifar10Dataset.looksLikeCifar(dir)) return Cifar10Dataset.open(dir, split);
        Path splitDir = dir.resolve(Split.check(split));
        Path root = Files.isDirectory(splitDir) ? splitDir : dir;
        return ImageFolderDataset.open(root, channels > 0 ? channels : 3, size, warnings);
    }

    private static ImageDataset openFile(Path file, String split) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean zip = name.endsWith(".zip");
        if (zip || name.matches(".*\\.(tar|tgz|tar\\.(gz|bz2|xz))")) {
            // GNU tar finds a tarball's compression itself; a zip needs unzip
            throw new DatasetException(file + " is an archive",
                    "extract it first (e.g. " + (zip ? "unzip " : "tar xf ") + ShellWords.quote(file) + ") and give the extracted folder");
        }
        if (name.contains("idx3") || startsWithIdxMagic(file)) return IdxDataset.open(file, split);
        if (name.endsWith(".bin")) return Cifar10Dataset.open(file, split);
        if (FolderScan.isImageName(file)) {
            throw new DatasetException(file + " is a single image, not a dataset",
                    "give the folder that holds the images");
        }
        throw new DatasetException("cannot tell what kind of dataset " + file + " is",
                "give an IDX images file, a CIFAR-10 .bin batch, or a folder (of images, IDX or CIFAR-10 files)");
    }

    private static boolean hasIdx(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).contains("idx3"));
        } catch (IOException e) {
            throw new DatasetException("could not list " + dir + ": " + e, "check the folder's permissions", e);
        }
    }

    /** IDX images magic 00 00 08 03, possibly inside gzip. */
    private static boolean startsWithIdxMagic(Path file) {
        try (var in = Inputs.open(file)) {
            return in.read() == 0 && in.read() == 0 && in.read() == 8 && in.read() == 3;
        } catch (IOException e) {
            return false;
        }
    }
}
