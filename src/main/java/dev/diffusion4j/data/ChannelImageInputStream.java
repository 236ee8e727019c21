package dev.diffusion4j.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.Objects;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * A buffered ImageIO stream over a file channel. Opened from a {@link java.nio.file.Path}, it
 * reads files whose names the JVM cannot turn into a String (non-ASCII names under a C locale),
 * which {@code ImageIO.read(path.toFile())} cannot.
 */
final class ChannelImageInputStream extends ImageInputStreamImpl {
    private final SeekableByteChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
    private long bufferStart; // file position of buffer[0]; buffer holds [0, limit)

    ChannelImageInputStream(SeekableByteChannel channel) {
        this.channel = channel;
        buffer.limit(0);
    }

    @Override
    public int read() throws IOException {
        checkClosed();
        bitOffset = 0;
        if (!fill()) return -1;
        return buffer.get((int) (streamPos++ - bufferStart)) & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        checkClosed();
        Objects.checkFromIndexSize(off, len, b.length);
        bitOffset = 0;
        if (len == 0) return 0;
        if (!fill()) return -1;
        int at = (int) (streamPos - bufferStart);
        int n = Math.min(len, buffer.limit() - at);
        buffer.get(at, b, off, n);
        streamPos += n;
        return n;
    }

    /** Makes the buffer hold the byte at streamPos; false at the end of the file. */
    private boolean fill() throws IOException {
        if (streamPos >= bufferStart && streamPos < bufferStart + buffer.limit()) return true;
        buffer.clear();
        bufferStart = streamPos;
        channel.position(streamPos);
        while (buffer.hasRemaining() && channel.read(buffer) > 0) {
            // a file channel returns 0 only at the end or when the buffer is full
        }
        buffer.flip();
        return buffer.hasRemaining();
    }

    @Override
    public long length() {
        try {
            return channel.size();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void close() throws IOException {
        super.close();
        channel.close();
    }
}
