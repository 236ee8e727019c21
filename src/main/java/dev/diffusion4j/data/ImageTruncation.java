package dev.diffusion4j.data;

import java.io.IOException;
import java.nio.ByteOrder;
import javax.imageio.stream.ImageInputStream;

/**
 * Finds cut-off PNG and WebP files from their container structure. Their decoders can return a
 * complete-looking image from a file that lost its tail (the PNG reader does not need the
 * closing chunks, the WebP reader pads its bit reader), so the structure is checked directly:
 * a PNG must reach its IEND chunk, a WebP file must be as long as its RIFF header says.
 */
final class ImageTruncation {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int IEND = 0x49454e44;

    private ImageTruncation() {}

    /** Why the file is truncated, or null if it is not (or is of another format); leaves the stream at 0. */
    static String check(ImageInputStream in) throws IOException {
        long length = in.length();
        if (length < 0) return null;
        try {
            byte[] head = new byte[12];
            int n = readUpTo(in, head);
            if (n >= 8 && startsWith(head, PNG_SIGNATURE)) return png(in, length);
            if (n >= 12 && ascii(head, 0, "RIFF") && ascii(head, 8, "WEBP")) return riff(head, length);
            return null;
        } finally {
            in.seek(0);
        }
    }

    private static String png(ImageInputStream in, long length) throws IOException {
        in.setByteOrder(ByteOrder.BIG_ENDIAN);
        long pos = PNG_SIGNATURE.length;
        while (true) {
            if (pos + 8 > length) return "it ends after " + length + " bytes, before its IEND chunk";
            in.seek(pos);
            long chunkLength = in.readUnsignedInt();
            int type = in.readInt();
            if (type == IEND) return null;
            long next = pos + 12 + chunkLength; // length, type, data, CRC
            if (next > length) {
                return "its " + chunkName(type) + " chunk at byte " + pos + " declares " + chunkLength
                        + " bytes but the file ends after " + length;
            }
            pos = next;
        }
    }

    private static String riff(byte[] head, long length) {
        long declared = 8 + ((head[4] & 0xffL) | (head[5] & 0xffL) << 8 | (head[6] & 0xffL) << 16 | (head[7] & 0xffL) << 24);
        return declared > length ? "its RIFF header declares " + declared + " bytes but the file has " + length : null;
    }

    private static int readUpTo(ImageInputStream in, byte[] dst) throws IOException {
        int n = 0;
        while (n < dst.length) {
            int r = in.read(dst, n, dst.length - n);
            if (r < 0) break;
            n += r;
        }
        return n;
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) if (a[i] != prefix[i]) return false;
        return true;
    }

    private static boolean ascii(byte[] a, int off, String s) {
        for (int i = 0; i < s.length(); i++) if (a[off + i] != s.charAt(i)) return false;
        return true;
    }

    private static String chunkName(int type) {
        StringBuilder sb = new StringBuilder(4);
        for (int shift = 24; shift >= 0; shift -= 8) {
            int c = (type >>> shift) & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? (char) c : '?');
        }
        return sb.toString();
    }
}
