package dev.diffusion4j.data;

import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.SafeTensorsException;
import dev.diffusion4j.io.StoreType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import java.util.zip.GZIPOutputStream;

/**
 * Feeds every binary reader valid files with random truncations, bit flips and extreme bytes
 * (fixed seed; per reader at most {@value #ITERATIONS} cases or about {@value #BUDGET_MILLIS} ms).
 * Each outcome must be a valid result or the project's one-line exception naming the file.
 * Anything else is printed as a FAIL line with the case and its input, and the exit status is 1;
 * an OutOfMemoryError ends the JVM (run it with a small heap and -XX:+ExitOnOutOfMemoryError).
 * Arguments: a work folder, then the readers to fuzz (image, idx, cifar, safetensors).
 */
public final class ReaderFuzzMain {
    static final long SEED = 0x5eed_2026_1205L;
    static final int ITERATIONS = 600;
    static final long BUDGET_MILLIS = 1500;

    /** Reads a file fully, as a user's command would; throws what the reader throws. */
    interface Reader {
        void read(Path file) throws Exception;
    }

    private final Path dir;
    private final PrintStream out;
    private int failures;

    private ReaderFuzzMain(Path dir, PrintStream out) {
        this.dir = dir;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        ReaderFuzzMain f = new ReaderFuzzMain(Path.of(args[0]), out);
        ImageLimits.setMaxPixels(1 << 20, "the fuzz test");
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "image" -> f.images();
                case "idx" -> f.idx();
                case "cifar" -> f.cifar();
                case "safetensors" -> f.safetensors();
                default -> throw new IllegalArgumentException("unknown reader " + args[i]);
            }
        }
        System.exit(f.failures == 0 ? 0 : 1);
    }

    private void images() throws Exception {
        var img = HostileFiles.noise(24, 20, 7);
        Map<String, byte[]> bases = new LinkedHashMap<>();
        for (String f : new String[] {"png", "jpg", "bmp", "gif", "tiff"}) bases.put(f, HostileFiles.encode(img, f));
        bases.put("webp", HostileFiles.webpSolid(9, 7, 0x336699));
        // Through the public entry point, which turns a refusal into the project's exception.
        for (var e : bases.entrySet()) {
            fuzz("image ." + e.getKey(), e.getValue(), "f." + e.getKey(), file -> Pngs.read(file, 0),
                    t -> t instanceof DatasetException);
        }
    }

    private void idx() throws Exception {
        byte[] plain = idxBytes(new int[] {3, 5, 4}, 60);
        fuzz("IDX", plain, "train-images-idx3-ubyte", ReaderFuzzMain::loadAllIdx, t -> t instanceof DatasetException);
        fuzz("IDX gzip", gzip(plain), "train-images-idx3-ubyte.gz", ReaderFuzzMain::loadAllIdx,
                t -> t instanceof DatasetException);
    }

    private void cifar() throws Exception {
        byte[] batch = new byte[2 * Cifar10Dataset.RECORD_BYTES];
        new Random(1).nextBytes(batch);
        batch[0] = 3;
        batch[Cifar10Dataset.RECORD_BYTES] = 7;
        fuzz("CIFAR", batch, "data_batch_1.bin", file -> loadAll(Cifar10Dataset.open(file, "train")),
                t -> t instanceof DatasetException);
    }

    private void safetensors() throws Exception {
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        tensors.put("w", RawTensor.ofFloats(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}, StoreType.F32));
        tensors.put("step", RawTensor.ofLongs(new int[] {1}, new long[] {42}, StoreType.I64));
        byte[] base = SafeTensors.toBytes(tensors, Map.of("format", "pt"));
        fuzz("safetensors", base, "m.safetensors", file -> {
            for (RawTensor t : SafeTensors.read(file).values()) {
                if (t.data().length != t.numel() * t.type().size()) throw new AssertionError("data does not match the shape");
            }
        }, t -> t instanceof SafeTensorsException);
    }

    private static void loadAllIdx(Path file) {
        loadAll(IdxDataset.fromFiles(file, null));
    }

    private static void loadAll(ImageDataset ds) {
        float[] buf = new float[ds.channels() * ds.height() * ds.width()];
        for (int i = 0; i < ds.size(); i++) {
            ds.load(i, buf, 0);
            ds.label(i);
        }
    }

    /** Runs {@code reader} on mutations of {@code base}; {@code clear} accepts the project's exceptions. */
    private void fuzz(String what, byte[] base, String fileName, Reader reader, Predicate<Throwable> clear)
            throws Exception {
        Path file = dir.resolve(fileName);
        Files.write(file, base);
        reader.read(file); // the unmutated file is valid
        Random random = new Random(SEED ^ what.hashCode());
        long end = System.nanoTime() + BUDGET_MILLIS * 1_000_000L;
        int cases = 0, refused = 0;
        for (; cases < ITERATIONS && System.nanoTime() < end; cases++) {
            byte[] m = mutate(base, random);
            Files.write(file, m);
            try {
                reader.read(file);
            } catch (Throwable t) {
                refused++;
                String msg = t.getMessage();
                String bad = !clear.test(t) ? "ended in " + t
                        : msg == null || msg.isBlank() || msg.contains("\n") ? "gave the message '" + msg + "'"
                        : !msg.contains(fileName) ? "gave a message that does not name the file: " + msg : null;
                if (bad != null) {
                    failures++;
                    out.println("FAIL " + what + " case " + cases + " (seed " + SEED + ") " + bad + "; input: " + hex(m));
                    t.printStackTrace(out);
                }
            }
        }
        out.println(what + ": " + cases + " cases, " + refused + " refused, " + (cases - refused) + " read");
    }

    /** A random truncation, bit flips, extreme bytes, or a truncation of a damaged copy. */
    static byte[] mutate(byte[] base, Random r) {
        byte[] m = base.clone();
        int kind = r.nextInt(4);
        if (kind == 1 || kind == 3) {
            for (int k = 1 + r.nextInt(8); k > 0; k--) m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
        }
        if (kind == 2) {
            byte[] extremes = {0, (byte) 0xff, 0x7f, (byte) 0x80, 1};
            // Headers live in the first bytes: aim half of the hits there.
            for (int k = 1 + r.nextInt(4); k > 0; k--) {
                int at = r.nextBoolean() ? r.nextInt(Math.min(m.length, 64)) : r.nextInt(m.length);
                m[at] = extremes[r.nextInt(extremes.length)];
            }
        }
        if (kind == 0 || kind == 3) m = Arrays.copyOf(m, r.nextInt(m.length));
        return m;
    }

    private static byte[] idxBytes(int[] dims, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + dataBytes).putInt(IdxFile.IMAGES_MAGIC);
        for (int v : dims) b.putInt(v);
        for (int i = 0; i < dataBytes; i++) b.put((byte) (i * 7));
        return b.array();
    }

    private static byte[] gzip(byte[] raw) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bytes)) {
            g.write(raw);
        }
        return bytes.toByteArray();
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, 96); i++) sb.append(String.format("%02x", b[i]));
        return sb + (b.length > 96 ? "... (" + b.length + " bytes)" : "");
    }
}
