package dev.diffusion4j.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * CIFAR-10 binary batches ({@code cifar-10-binary.tar.gz}, extracted): each record is one label
 * byte then 32x32 red, green and blue planes. Kept in memory as bytes (train: 154 MB).
 */
public final class Cifar10Dataset implements ImageDataset {
    public static final List<String> CLASS_NAMES = List.of("airplane", "automobile", "bird", "cat",
            "deer", "dog", "frog", "horse", "ship", "truck");
    static final int SIDE = 32;
    static final int IMAGE_BYTES = 3 * SIDE * SIDE;
    static final int RECORD_BYTES = 1 + IMAGE_BYTES;

    private final Path source;
    private final byte[] pixels;
    private final byte[] labels;
    private final int n;

    private Cifar10Dataset(Path source, byte[] pixels, byte[] labels) {
        this.source = source;
        this.pixels = pixels;
        this.labels = labels;
        this.n = labels.length;
    }

    /**
     * Opens the batches of {@code split} ("train": data_batch_1..5.bin, "test": test_batch.bin) in
     * a directory (or its {@code cifar-10-batches-bin} sub-folder), or one explicit .bin file.
     */
    public static Cifar10Dataset open(Path dirOrFile, String split) {
        if (!Files.exists(dirOrFile)) {
            throw new DatasetException("dataset path " + dirOrFile + " does not exist",
                    "check the path, or extract cifar-10-binary.tar.gz there");
        }
        if (!Files.isDirectory(dirOrFile)) return read(dirOrFile, List.of(dirOrFile));
        Path dir = resolveDir(dirOrFile);
        List<Path> files = batchFiles(dir, Split.check(split));
        List<String> missing = new ArrayList<>();
        for (Path f : files) if (!Files.isRegularFile(f)) missing.add(f.getFileName().toString());
        if (!missing.isEmpty()) {
            throw new DatasetException("CIFAR-10 folder " + dir + " lacks " + String.join(", ", missing),
                    "extract the complete cifar-10-binary.tar.gz (binary version) into it");
        }
        return read(dir, files);
    }

    /** True if {@code dir} (or its cifar-10-batches-bin sub-folder) looks like extracted CIFAR-10. */
    static boolean looksLikeCifar(Path dir) {
        Path d = resolveDir(dir);
        return Files.isRegularFile(d.resolve("data_batch_1.bin")) || Files.isRegularFile(d.resolve("test_batch.bin"));
    }

    static List<Path> batchFiles(Path dir, String split) {
        if (split.equals("test")) return List.of(dir.resolve("test_batch.bin"));
        List<Path> files = new ArrayList<>();
        for (int i = 1; i <= 5; i++) files.add(dir.resolve("data_batch_" + i + ".bin"));
        return files;
    }

    private static Path resolveDir(Path dir) {
        Path sub = dir.resolve("cifar-10-batches-bin");
        return Files.isDirectory(sub) ? sub : dir;
    }

    private static Cifar10Dataset read(Path source, List<Path> files) {
        long total = 0;
        for (Path f : files) total += checkedSize(f);
        long records = total / RECORD_BYTES;
        HeapBudget.require(records * RECORD_BYTES, "CIFAR-10 data " + source + " (" + records + " images)"); // pixels and labels together
        byte[] pixels = new byte[(int) (records * IMAGE_BYTES)];
        byte[] labels = new byte[(int) records];
        int r = 0;
        for (Path f : files) r = readRecords(f, pixels, labels, r);
        if (r != records) {
            throw new DatasetException("CIFAR-10 batch files under " + source + " changed while being read",
                    "read them again once nothing writes to them");
        }
        return new Cifar10Dataset(source, pixels, labels);
    }

    /** Streams the records of {@code f} into the arrays from record {@code first}; returns the next record. */
    private static int readRecords(Path f, byte[] pixels, byte[] labels, int first) {
        byte[] record = new byte[RECORD_BYTES];
        int r = first, i = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
            while (in.readNBytes(record, 0, RECORD_BYTES) == RECORD_BYTES) {
                int label = record[0] & 0xff;
                if (label > 9) {
                    throw new DatasetException("record " + i + " of " + f + " has label " + label
                            + ", CIFAR-10 labels are 0..9: this is not a CIFAR-10 binary batch"
                            + " (CIFAR-100 binaries carry 2 label bytes)",
                            "use the CIFAR-10 binary version (cifar-10-binary.tar.gz), not the python or CIFAR-100 one");
                }
                if (r == labels.length) break; // the file grew since its size was checked
                labels[r] = (byte) label;
                System.arraycopy(record, 1, pixels, r * IMAGE_BYTES, IMAGE_BYTES);
                r++;
                i++;
            }
            return r;
        } catch (IOException e) {
            throw new DatasetException("could not read " + f + ": " + e, "check the file's permissions", e);
        }
    }

    private static long checkedSize(Path f) {
        Inputs.requireFile(f, "CIFAR-10 batch file");
        try {
            long size = Files.size(f);
            if (size == 0) {
                throw new DatasetException("CIFAR-10 batch file " + f + " is empty",
                        "extract cifar-10-binary.tar.gz again");
            }
            if (size % RECORD_BYTES != 0) {
                throw new DatasetException("CIFAR-10 batch file " + f + " is truncated or of another format: "
                        + size + " bytes is not a whole number of " + RECORD_BYTES
                        + "-byte records (1 label + 32x32x3 pixels)",
                        "extract the binary version (cifar-10-binary.tar.gz) again");
            }
            return size;
        } catch (IOException e) {
            throw new DatasetException("could not read " + f + ": " + e, "check the file's permissions", e);
        }
    }

    @Override public int size() { return n; }

    @Override public int channels() { return 3; }

    @Override public int height() { return SIDE; }

    @Override public int width() { return SIDE; }

    @Override public int numClasses() { return 10; }

    @Override
    public void load(int index, float[] dst, int dstOff) {
        int src = Objects.checkIndex(index, n) * IMAGE_BYTES;
        for (int i = 0; i < IMAGE_BYTES; i++) dst[dstOff + i] = Pixels.byteToSigned(pixels[src + i]);
    }

    @Override
    public int label(int index) {
        return labels[Objects.checkIndex(index, n)];
    }

    @Override
    public String describe() {
        return "CIFAR-10 " + source + ": " + n + " images, 3x32x32, 10 classes";
    }
}
