package dev.diffusion4j.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;

/**
 * Small hostile image files built in memory for the tests: headers that declare huge images
 * (decompression bombs), real images of every supported format, and a minimal WebP encoder
 * (ImageIO has no WebP writer).
 */
final class HostileFiles {
    private HostileFiles() {}

    /** A noisy RGB image, so compressed formats have data all the way through. */
    static BufferedImage noise(int w, int h, long seed) {
        Random r = new Random(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt() & 0xffffff);
        return img;
    }

    /** {@code img} encoded by ImageIO as {@code format} (png, jpg, bmp, gif, tiff). */
    static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(img, format, out)) throw new IllegalStateException("no ImageIO writer for " + format);
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A complete PNG (signature, IHDR, one small IDAT, IEND) whose header declares w x h 8-bit gray pixels. */
    static byte[] pngDeclaring(int w, int h) {
        return pngDeclaring(w, h, 0, 8);
    }

    /** The same with a PNG colour type (0 gray, 2 RGB, 6 RGBA) and bit depth (8 or 16). */
    static byte[] pngDeclaring(int w, int h, int colourType, int bitDepth) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) bitDepth).put((byte) colourType)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", deflate(new byte[4096]));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static byte[] deflate(byte[] raw) {
        Deflater d = new Deflater();
        d.setInput(raw);
        d.finish();
        byte[] buf = new byte[raw.length + 64];
        int n = d.deflate(buf);
        d.end();
        return Arrays.copyOf(buf, n);
    }

    /** A 24-bit BMP header declaring w x h pixels, followed by a few bytes of pixel data. */
    static byte[] bmpDeclaring(int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(54 + 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(54 + 64).putInt(0).putInt(54);
        b.putInt(40).putInt(w).putInt(h).putShort((short) 1).putShort((short) 24).putInt(0).putInt(0)
                .putInt(2835).putInt(2835).putInt(0).putInt(0);
        return b.array();
    }

    /** A GIF with a 16x16 logical screen whose one frame declares w x h pixels (at most 65535). */
    static byte[] gifFrameDeclaring(int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GIF89a".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        b.putShort((short) 16).putShort((short) 16).put((byte) 0x80).put((byte) 0).put((byte) 0);
        b.put(new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255}); // 2-colour global table
        b.put((byte) 0x2c).putShort((short) 0).putShort((short) 0).putShort((short) w).putShort((short) h).put((byte) 0);
        b.put((byte) 2).put((byte) 2).put((byte) 0x4c).put((byte) 0x01).put((byte) 0); // LZW min size, one sub-block
        b.put((byte) 0x3b);
        return Arrays.copyOf(b.array(), b.position());
    }

    /** A real 8x8 JPEG whose SOF0 segment is patched to declare w x h pixels. */
    static byte[] jpegDeclaring(int w, int h) {
        byte[] jpg = encode(noise(8, 8, 1), "jpg");
        for (int i = 0; i + 8 < jpg.length; i++) {
            if ((jpg[i] & 0xff) == 0xff && (jpg[i + 1] & 0xff) == 0xc0) {
                ByteBuffer.wrap(jpg, i + 5, 4).putShort((short) h).putShort((short) w);
                return jpg;
            }
        }
        throw new IllegalStateException("the JPEG writer wrote no SOF0 segment");
    }

    /** A little-endian TIFF of one 8-bit gray strip: header, IFD, then {@code stripBytes} of pixels. */
    static byte[] tiffDeclaring(int w, int h, int stripBytes) {
        int n = 9, ifd = 8, data = ifd + 2 + n * 12 + 4;
        ByteBuffer b = ByteBuffer.allocate(data + stripBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifd);
        b.putShort((short) n);
        entry(b, 256, 4, w);             // ImageWidth
        entry(b, 257, 4, h);             // ImageLength
        entry(b, 258, 3, 8);             // BitsPerSample
        entry(b, 259, 3, 1);             // Compression: none
        entry(b, 262, 3, 1);             // Photometric: black is zero
        entry(b, 273, 4, data);          // StripOffsets
        entry(b, 277, 3, 1);             // SamplesPerPixel
        entry(b, 278, 4, h);             // RowsPerStrip
        entry(b, 279, 4, stripBytes);    // StripByteCounts
        b.putInt(0);
        return b.array();
    }

    private static void entry(ByteBuffer b, int tag, int type, int value) {
        b.putShort((short) tag).putShort((short) type).putInt(1);
        if (type == 3) b.putShort((short) value).putShort((short) 0);
        else b.putInt(value);
    }

    /**
     * A lossless WebP (VP8L) of one colour: no transforms, and five one-symbol prefix codes, so
     * every pixel takes zero bits. Eight zero bytes pad the bit stream, as the reader reads ahead.
     */
    static byte[] webpSolid(int w, int h, int rgb) {
        Bits bits = new Bits();
        bits.put(0x2f, 8).put(w - 1, 14).put(h - 1, 14).put(0, 1).put(0, 3);
        bits.put(0, 1).put(0, 1).put(0, 1); // no transform, no colour cache, no meta prefix codes
        for (int v : new int[] {(rgb >> 8) & 0xff, (rgb >> 16) & 0xff, rgb & 0xff, 255}) {
            bits.put(1, 1).put(0, 1).put(1, 1).put(v, 8); // simple code: one 8-bit symbol
        }
        bits.put(1, 1).put(0, 1).put(0, 1).put(0, 1); // distance code: the one symbol 0
        byte[] stream = bits.bytes();
        byte[] vp8l = Arrays.copyOf(stream, stream.length + 8);
        int pad = vp8l.length & 1;
        ByteBuffer b = ByteBuffer.allocate(20 + vp8l.length + pad).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(12 + vp8l.length + pad);
        b.put("WEBPVP8L".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(vp8l.length).put(vp8l);
        return b.array();
    }

    /** Least-significant-bit-first bit writer, as VP8L reads. */
    private static final class Bits {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private int acc, count;

        Bits put(int value, int n) {
            for (int i = 0; i < n; i++) {
                acc |= ((value >>> i) & 1) << count;
                if (++count == 8) {
                    out.write(acc);
                    acc = 0;
                    count = 0;
                }
            }
            return this;
        }

        byte[] bytes() {
            if (count > 0) put(0, 8 - count);
            return out.toByteArray();
        }
    }
}
