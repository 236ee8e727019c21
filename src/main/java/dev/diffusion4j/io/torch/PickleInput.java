package dev.diffusion4j.io.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The bytes a pickle is read from, front to back. Every read is checked against what is left, so a length field in a
 * hostile file can never make the reader allocate more than the file holds.
 */
abstract class PickleInput {
    /** Bytes left to read. */
    abstract long remaining();

    /** Offset of the next byte from the start of the file (for messages). */
    abstract long position();

    /** The next byte, 0..255. */
    abstract int read() throws IOException;

    abstract void readFully(byte[] dst) throws IOException;

    /** {@code n} bytes; refused before allocating when fewer are left. */
    final byte[] read(long n, String what) throws IOException {
        if (n < 0 || n > remaining()) {
            throw new TorchCheckpointException(what + " of " + n + " bytes at byte " + position() + ", but only " + remaining()
                    + " bytes are left: truncated or corrupt pickle");
        }
        byte[] b = new byte[(int) n];
        readFully(b);
        return b;
    }

    final void need(long n) throws TorchCheckpointException {
        if (remaining() < n) {
            throw new TorchCheckpointException("pickle ends at byte " + position() + " where " + n
                    + " more bytes are needed: truncated file");
        }
    }

    static PickleInput of(byte[] bytes) {
        return new ArrayInput(bytes);
    }

    static PickleInput of(FileChannel channel, long start) throws IOException {
        return new ChannelInput(channel, start);
    }

    private static final class ArrayInput extends PickleInput {
        private final byte[] bytes;
        private int pos;

        ArrayInput(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override long remaining() { return bytes.length - pos; }

        @Override long position() { return pos; }

        @Override int read() throws IOException {
            need(1);
            return bytes[pos++] & 0xff;
        }

        @Override void readFully(byte[] dst) throws IOException {
            need(dst.length);
            System.arraycopy(bytes, pos, dst, 0, dst.length);
            pos += dst.length;
        }
    }

    /** Buffered reads from a file channel: the legacy format's pickles sit in front of the raw storages. */
    private static final class ChannelInput extends PickleInput {
        private final FileChannel channel;
        private final long size;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
        private long bufferStart;

        ChannelInput(FileChannel channel, long start) throws IOException {
            this.channel = channel;
            this.size = channel.size();
            this.bufferStart = start;
            buffer.limit(0);
        }

        @Override long remaining() { return size - position(); }

        @Override long position() { return bufferStart + buffer.position(); }

        @Override int read() throws IOException {
            need(1);
            if (!buffer.hasRemaining()) fill();
            return buffer.get() & 0xff;
        }

        @Override void readFully(byte[] dst) throws IOException {
            need(dst.length);
            int done = 0;
            while (done < dst.length) {
                if (!buffer.hasRemaining()) fill();
                int n = Math.min(buffer.remaining(), dst.length - done);
                buffer.get(dst, done, n);
                done += n;
            }
        }

        private void fill() throws IOException {
            bufferStart = position();
            buffer.clear();
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer, bufferStart + buffer.position());
                if (n < 0) break;
            }
            buffer.flip();
            if (!buffer.hasRemaining()) throw new TorchCheckpointException("file ended at byte " + bufferStart + " (was it changed while open?)");
        }
    }
}
