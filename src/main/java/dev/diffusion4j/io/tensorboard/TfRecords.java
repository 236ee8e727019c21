package dev.diffusion4j.io.tensorboard;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * TFRecord framing, the container of TensorBoard event files: each record is its length (uint64, little-endian), the
 * masked CRC32C of those 8 bytes, the data, and the masked CRC32C of the data.
 */
public final class TfRecords {
    private TfRecords() {}

    private static final int MASK_DELTA = 0xa282ead8;

    /** CRC32C of the bytes, masked as TFRecord stores it (a CRC of data that holds CRCs is then not degenerate). */
    public static int maskedCrc32c(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, len);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    /** Writes one record holding {@code data}. */
    public static void write(OutputStream out, byte[] data) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(data.length);
        head.putInt(maskedCrc32c(head.array(), 0, 8));
        out.write(head.array());
        out.write(data);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(maskedCrc32c(data, 0, data.length)).array());
    }
}
