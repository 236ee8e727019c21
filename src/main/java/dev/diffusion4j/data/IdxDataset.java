package dev.diffusion4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * MNIST-style IDX files (MNIST, Fashion-MNIST, KMNIST...): 8-bit grayscale images with optional
 * labels. All pixels stay in memory as bytes (Fashion-MNIST train: 47 MB).
 */
public final class IdxDataset implements ImageDataset {
    private final Path imagesFile;
    private final Path labelsFile;
    private final byte[] pixels;
    private final byte[] labels;
    private final int n, h, w;
    private final int numClasses;

    private IdxDataset(IdxFile images, IdxFile labelFile) {
        int[] d = images.dims();
        if (d.length != 3) {
            throw new DatasetException("IDX images file " + images.path() + " has " + d.length
                    + " dimensions, expected 3 (count, rows, columns)",
                    "use an IDX file of grayscale images such as MNIST's");
        }
        this.imagesFile = images.path();
        this.pixels = images.data();
        this.n = d[0];
        this.h = d[1];
        this.w = d[2];
        if (labelFile == null) {
            this.labelsFile = null;
            this.labels = null;
            this.numClasses = 0;
            return;
        }
        if (labelFile.dims().length != 1 || labelFile.dims()[0] != n) {
            throw new DatasetException("labels file " + labelFile.path() + " holds "
                    + labelFile.dims()[0] + " labels but " + images.path() + " holds " + n + " images",
                    "use the labels file of the same split and download as the images");
        }
        this.labelsFile = labelFile.path();
        this.labels = labelFile.data();
        int max = 0;
        for (byte b : labels) max = Math.max(max, b & 0xff);
        this.numClasses = max + 1;
    }

    /**
     * Opens a directory holding IDX files for {@code split} ("train" or "test"; test files may be
     * named t10k-*), or an explicit images file whose labels file, if present, lies beside it.
     */
    public static IdxDataset open(Path dirOrFile, String split) {
        if (!Files.exists(dirOrFile)) {
            throw new DatasetException("dataset path " + dirOrFile + " does not exist",
                    "check the path, or download the IDX files (e.g. train-images-idx3-ubyte.gz) there");
        }
        if (Files.isDirectory(dirOrFile)) {
            String s = Split.check(split);
            Path images = find(dirOrFile, s, "idx3");
            if (images == null) {
                throw new DatasetException("no IDX images file for split '" + s + "' in " + dirOrFile
                        + " (expected " + (s.equals("train") ? "train" : "t10k") + "-images-idx3-ubyte[.gz]"
                        + "; found: " + listing(dirOrFile) + ")",
                        "point at the folder holding the MNIST-style files, or pick the other split");
            }
            return fromFiles(images, find(dirOrFile, s, "idx1"));
        }
        return fromFiles(dirOrFile, siblingLabels(dirOrFile));
    }

    /** Reads an images file and an optional ({@code null}) labels file. */
    public static IdxDataset fromFiles(Path images, Path labelsOrNull) {
        IdxFile img = IdxFile.read(images, IdxFile.IMAGES_MAGIC);
        IdxFile lab = labelsOrNull == null ? null : IdxFile.read(labelsOrNull, IdxFile.LABELS_MAGIC);
        return new IdxDataset(img, lab);
    }

    /** Files whose name starts with the split's prefix and contains the IDX rank (idx3 / idx1). */
    private static Path find(Path dir, String split, String rank) {
        List<Path> hits = new ArrayList<>();
        for (Path p : list(dir)) {
            String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
            boolean splitMatch = split.equals("train") ? name.startsWith("train")
                    : name.startsWith("t10k") || name.startsWith("test");
            if (splitMatch && name.contains(rank) && Files.isRegularFile(p)) hits.add(p);
        }
        // Prefer the uncompressed copy when both exist: it loads faster.
        hits.sort((a, b) -> Boolean.compare(a.toString().endsWith(".gz"), b.toString().endsWith(".gz")));
        return hits.isEmpty() ? null : hits.getFirst();
    }

    private static Path siblingLabels(Path images) {
        String name = images.getFileName().toString();
        String guess = name.replace("images-idx3", "labels-idx1").replace("images.idx3", "labels.idx1");
        if (guess.equals(name)) return null;
        Path dir = images.toAbsolutePath().getParent();
        for (String candidate : new String[] {guess, guess + ".gz", guess.replaceFirst("\\.gz$", "")}) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new DatasetException("could not list " + dir + ": " + e, "check the folder's permissions", e);
        }
    }

    private static String listing(Path dir) {
        List<String> names = list(dir).stream().map(p -> p.getFileName().toString()).limit(8).toList();
        return names.isEmpty() ? "nothing, the folder is empty" : String.join(", ", names);
    }

    @Override public int size() { return n; }

    @Override public int channels() { return 1; }

    @Override public int height() { return h; }

    @Override public int width() { return w; }

    @Override public int numClasses() { return numClasses; }

    @Override
    public void load(int index, float[] dst, int dstOff) {
        int len = h * w;
        int src = Objects.checkIndex(index, n) * len;
        for (int i = 0; i < len; i++) dst[dstOff + i] = Pixels.byteToSigned(pixels[src + i]);
    }

    @Override
    public int label(int index) {
        Objects.checkIndex(index, n);
        return labels == null ? -1 : labels[index] & 0xff;
    }

    @Override
    public String describe() {
        return "IDX " + imagesFile + ": " + n + " images, 1x" + h + "x" + w + ", "
                + (labels == null ? "unlabeled (no labels file found)" : numClasses + " classes from " + labelsFile.getFileName());
    }
}
