package dev.diffusion4j.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipException;

/**
 * One parsed IDX file (the MNIST format): a big-endian magic number {@code 00 00 type ndims},
 * ndims big-endian sizes, then the unsigned bytes. Only type 0x08 (ubyte) is read.
 */
record IdxFile(Path path, int[] dims, byte[] data) {
    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    /** Reads {@code file} (plain or gzip) and checks it has magic {@code expectedMagic}. */
    static IdxFile read(Path file, int expectedMagic) {
        String kind = expectedMagic == IMAGES_MAGIC ? "IDX images file" : "IDX labels file";
        Inputs.requireFile(file, kind);
        try (InputStream in = Inputs.open(file)) {
            boolean gz = Inputs.isGzip(file);
            DataInputStream d = new DataInputStream(in);
            int magic;
            try {
                magic = d.readInt();
            } catch (EOFException e) {
                throw new DatasetException(kind + " " + file + " is shorter than an IDX header (4 bytes)",
                        "the download is incomplete: download it again");
            }
            checkMagic(file, kind, magic, expectedMagic);
            int nd = magic & 0xff;
            int[] dims = new int[nd];
            try {
                for (int i = 0; i < nd; i++) {
                    dims[i] = d.readInt();
                    if (dims[i] <= 0) {
                        throw new DatasetException(kind + " " + file + " declares size " + dims[i]
                                + " in dimension " + i, "the file is damaged or empty: download it again");
                    }
                }
            } catch (EOFException e) {
                throw truncated(file, kind, "its header is cut off", e);
            }
            long total = dataBytes(file, kind, dims);
            if (!gz) {
                long available = Files.size(file) - 4L - 4L * nd;
                if (available < total) {
                    throw truncated(file, kind, "its header declares " + describeDims(dims) + " ("
                            + total + " bytes) but only " + Math.max(0, available) + " bytes follow", null);
                }
            }
            HeapBudget.require(total, kind + " " + file + " (" + describeDims(dims) + ")");
            byte[] data;
            try {
                if (gz) {
                    data = readGrowing(d, total);
                } else {
                    data = new byte[(int) total]; // the file's length was checked above
                    d.readFully(data);
                }
            } catch (EOFException e) {
                throw truncated(file, kind, "its header declares " + describeDims(dims) + " ("
                        + total + " bytes) but the " + (gz ? "compressed " : "") + "data ends early", e);
            }
            return new IdxFile(file, dims, data);
        } catch (ZipException e) {
            throw new DatasetException(kind + " " + file + " is a damaged gzip file (" + e.getMessage() + ")",
                    "download it again, or check it with 'gzip -t'", e);
        } catch (IOException e) {
            throw new DatasetException("could not read " + kind + " " + file + ": " + e,
                    "check that the file is readable and the disk healthy", e);
        }
    }

    /** The product of the dimensions, in exact arithmetic: a damaged header must not wrap around. */
    private static long dataBytes(Path file, String kind, int[] dims) {
        long total = 1;
        try {
            for (int v : dims) total = Math.multiplyExact(total, v);
        } catch (ArithmeticException e) {
            total = Long.MAX_VALUE;
        }
        if (total > HeapBudget.MAX_ARRAY) {
            throw new DatasetException(kind + " " + file + " declares " + describeDims(dims) + " bytes of data"
                    + (total == Long.MAX_VALUE ? " (more than 2^63)" : " (" + total + ")")
                    + ", more than one Java array holds: the header is damaged or the file too large",
                    "download it again, or split it into smaller IDX files");
        }
        return total;
    }

    /**
     * Reads exactly {@code total} decompressed bytes, growing the array as data arrives: a small
     * gzip file whose header lies about its size allocates only as much as it really holds, and
     * one that inflates to more than promised is never read past {@code total}.
     */
    private static byte[] readGrowing(InputStream in, long total) throws IOException {
        byte[] buf = new byte[(int) Math.min(total, 1 << 20)];
        int n = 0;
        while (n < total) {
            if (n == buf.length) buf = Arrays.copyOf(buf, (int) Math.min(total, 2L * buf.length));
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) throw new EOFException();
            n += r;
        }
        return buf;
    }

    private static void checkMagic(Path file, String kind, int magic, int expected) {
        if (magic == expected) return;
        if (magic == IMAGES_MAGIC || magic == LABELS_MAGIC) {
            String other = magic == IMAGES_MAGIC ? "an IDX images file" : "an IDX labels file";
            throw new DatasetException(file + " is " + other + ", not the expected " + kind,
                    "pass the images file (e.g. train-images-idx3-ubyte.gz); its labels are found beside it");
        }
        if ((magic >>> 16) == 0 && ((magic >>> 8) & 0xff) != 0x08) {
            throw new DatasetException(kind + " " + file + " holds IDX type 0x"
                    + Integer.toHexString((magic >>> 8) & 0xff) + ", only unsigned bytes (0x08) are supported",
                    "convert it to 8-bit images or use an image folder");
        }
        throw new DatasetException(String.format("%s is not an IDX file: magic number 0x%08X, expected 0x%08X",
                file, magic, expected),
                "the file is damaged or of another format: download the IDX file again");
    }

    private static DatasetException truncated(Path file, String kind, String detail, Throwable cause) {
        return new DatasetException(kind + " " + file + " is truncated: " + detail,
                "the download is incomplete: download it again", cause);
    }

    private static String describeDims(int[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) sb.append(i == 0 ? "" : "x").append(dims[i]);
        return sb.toString();
    }
}
