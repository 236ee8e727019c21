package dev.diffusion4j.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * A folder of PNG/JPEG/BMP/GIF/WebP/TIFF images, searched recursively, each converted to the requested
 * channels (1 gray, 3 RGB) and scaled so its shorter side is {@code size}, then centre-cropped
 * to {@code size x size}. Class labels come from the immediate sub-folders (see {@link FolderScan}).
 *
 * <p>Memory: if all images fit in the cache budget as bytes ({@code n * channels * size^2}, by
 * default at most 1 GiB and a quarter of the heap) they are kept as decoded once, in parallel, when
 * the dataset opens. Otherwise each {@link #load} decodes its file again, so memory stays bounded
 * whatever the folder size. Either way every file is decoded (strictly, see {@link ImageDecoder})
 * when the dataset opens, and files that are truncated, damaged, too large or not images are
 * skipped and reported in one warning line.
 *
 * <p>Captions (text-to-image) come from a {@code metadata.jsonl} at the root or a {@code .txt} beside each image;
 * {@link FolderCaptions} has the rules. A folder with neither is uncaptioned.
 */
public final class ImageFolderDataset implements ImageDataset {
    private final Path root;
    private final int channels;
    private final int size;
    private final List<Path> files;
    private final int[] labels;
    private final List<String> classNames;
    private final byte[][] cache; // null when decoding lazily
    private final int skipped;
    private final String[] captions;      // null when uncaptioned
    private final String captionSource;

    private ImageFolderDataset(Path root, int channels, int size, List<Path> files, int[] labels,
                               List<String> classNames, byte[][] cache, int skipped, String[] captions, String captionSource) {
        this.root = root;
        this.channels = channels;
        this.size = size;
        this.files = files;
        this.labels = labels;
        this.classNames = classNames;
        this.cache = cache;
        this.skipped = skipped;
        this.captions = captions;
        this.captionSource = captionSource;
    }

    /** Opens with the default cache budget. */
    public static ImageFolderDataset open(Path root, int channels, int size, Consumer<String> warnings) {
        return open(root, channels, size, defaultCacheBytes(), warnings);
    }

    /** Opens, caching decoded bytes in memory only if they need at most {@code cacheBytes}. */
    public static ImageFolderDataset open(Path root, int channels, int size, long cacheBytes,
                                          Consumer<String> warnings) {
        if (channels != 1 && channels != 3) {
            throw new DatasetException("image folders give 1 (gray) or 3 (RGB) channels, not " + channels,
                    "ask for 1 or 3 channels");
        }
        if (size <= 0) {
            throw new DatasetException("an image folder needs a target image size, got " + size,
                    "give an image size such as 32 or 64");
        }
        ImageLimits.maxPixels(); // a bad limit setting fails here, once, rather than inside the parallel decode
        FolderScan scan = FolderScan.scan(root);
        if (scan.mixedLayout()) {
            warnings.accept("images lie both directly in " + root + " and in its sub-folders, so the"
                    + " folder is treated as unlabeled; move all images into class sub-folders to get labels");
        }
        // captions before decoding: a mistake in them is reported at once, not after minutes of decoding
        FolderCaptions.Captions captions = FolderCaptions.read(scan, warnings);
        int n = scan.files().size();
        long need = (long) n * channels * size * size;
        boolean eager = need <= cacheBytes;
        byte[][] decoded = eager ? new byte[n][] : null;
        ImageDecoder.Failure[] failures = new ImageDecoder.Failure[n];
        // Every file is decoded once now, also when decoding lazily: a truncated or damaged file
        // is found only by decoding it, and should be skipped here rather than fail mid-training.
        IntStream.range(0, n).parallel().forEach(i -> {
            ImageDecoder.Result r = ImageDecoder.decode(scan.files().get(i));
            failures[i] = r.failure();
            if (eager && r.image() != null) {
                decoded[i] = toBytes(Resizer.resizeCrop(new ImageRows(r.image(), channels), size));
            }
        });
        return collect(scan, channels, size, decoded, failures, captions, warnings);
    }

    private static ImageFolderDataset collect(FolderScan scan, int channels, int size, byte[][] decoded,
                                              ImageDecoder.Failure[] failures, FolderCaptions.Captions captions,
                                              Consumer<String> warnings) {
        List<Path> files = new ArrayList<>();
        List<byte[]> cache = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        int[] labels = new int[failures.length];
        SkipReport skips = new SkipReport(scan.root());
        skips.addOtherFiles(scan.otherFiles(), scan.otherExamples());
        for (int i = 0; i < failures.length; i++) {
            if (failures[i] != null) {
                skips.add(scan.files().get(i), failures[i]);
                continue;
            }
            labels[files.size()] = scan.classOf()[i];
            files.add(scan.files().get(i));
            if (decoded != null) cache.add(decoded[i]);
            if (captions != null) texts.add(captions.texts()[i]);
        }
        if (files.isEmpty()) {
            throw new DatasetException("none of the " + failures.length + " image files under " + scan.root()
                    + " could be used (" + skips.counts() + "): " + skips.examples(),
                    "check that they are valid image files (e.g. open one in an image viewer) or re-save them");
        }
        String line = skips.line(failures.length + scan.otherFiles());
        if (line != null) warnings.accept(line);
        int[] trimmed = java.util.Arrays.copyOf(labels, files.size());
        String empty = emptyClasses(scan.classNames(), trimmed);
        if (empty != null) warnings.accept(empty);
        byte[][] c = decoded == null ? null : cache.toArray(new byte[0][]);
        return new ImageFolderDataset(scan.root(), channels, size, List.copyOf(files), trimmed,
                scan.classNames(), c, skips.refused(), captions == null ? null : texts.toArray(new String[0]),
                captions == null ? null : captions.source());
    }

    /**
     * The warning for classes all of whose files were skipped, or null. Such a class keeps its label (labels come from
     * the sub-folder names, so the others keep theirs), but the model sees no image of it.
     */
    private static String emptyClasses(List<String> classNames, int[] labels) {
        int[] count = new int[classNames.size()];
        for (int l : labels) if (l >= 0) count[l]++;
        List<String> empty = new ArrayList<>();
        for (int k = 0; k < count.length; k++) if (count[k] == 0) empty.add(classNames.get(k));
        if (empty.isEmpty()) return null;
        return (empty.size() == 1 ? "class " + empty.get(0) + " has" : "classes " + String.join(", ", empty) + " have")
                + " no usable image (every file in " + (empty.size() == 1 ? "its sub-folder" : "their sub-folders") + " was skipped):"
                + " the label stays, but nothing of it is learned; repair those files or move the sub-folder out";
    }

    static long defaultCacheBytes() {
        return Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 4);
    }

    private static byte[] toBytes(float[] unit) {
        byte[] b = new byte[unit.length];
        for (int i = 0; i < unit.length; i++) b[i] = (byte) Pixels.unitToByte(unit[i]);
        return b;
    }

    /** Class names in label order (the sub-folder names); empty if unlabeled. */
    public List<String> classNames() { return classNames; }

    /** The file behind image {@code index}. */
    public Path file(int index) { return files.get(index); }

    /** Number of image files skipped because they could not be decoded (truncated, damaged, too large...). */
    public int skipped() { return skipped; }

    /** True if decoded images are held in memory. */
    public boolean cached() { return cache != null; }

    @Override public int size() { return files.size(); }

    @Override public int channels() { return channels; }

    @Override public int height() { return size; }

    @Override public int width() { return size; }

    @Override public int numClasses() { return classNames.size(); }

    @Override
    public void load(int index, float[] dst, int dstOff) {
        Objects.checkIndex(index, files.size());
        int len = channels * size * size;
        if (cache != null) {
            byte[] b = cache[index];
            for (int i = 0; i < len; i++) dst[dstOff + i] = Pixels.byteToSigned(b[i]);
            return;
        }
        ImageDecoder.Result r = ImageDecoder.decode(files.get(index));
        if (r.image() == null) {
            throw new DatasetException("image file " + files.get(index) + " could not be decoded ("
                    + r.failure().describe() + ") although it decoded when the dataset was opened",
                    "it changed since; remove or re-save it, or check the disk");
        }
        float[] unit = Resizer.resizeCrop(new ImageRows(r.image(), channels), size);
        // Through bytes, as the cached path does, so both modes give identical values.
        for (int i = 0; i < len; i++) dst[dstOff + i] = Pixels.byteToSigned(Pixels.unitToByte(unit[i]));
    }

    @Override
    public int label(int index) {
        return labels[Objects.checkIndex(index, files.size())];
    }

    /** The caption of image {@code index} (trimmed, one line, possibly empty), or null when the folder is uncaptioned. */
    @Override
    public String caption(int index) {
        Objects.checkIndex(index, files.size());
        return captions == null ? null : captions[index];
    }

    @Override
    public String describe() {
        String classes = classNames.isEmpty() ? "unlabeled"
                : classNames.size() + " classes (" + String.join(", ", classNames.subList(0, Math.min(8, classNames.size())))
                + (classNames.size() > 8 ? ", ..." : "") + ")";
        return "image folder " + root + ": " + files.size() + " images, " + channels + "x" + size + "x" + size
                + ", " + classes + (captions != null ? ", captioned by " + captionSource : "") + (skipped > 0 ? ", " + skipped + " image files skipped" : "")
                + (cache != null ? ", cached in memory" : ", decoded on each load");
    }
}
