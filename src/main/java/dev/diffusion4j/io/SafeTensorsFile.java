package dev.diffusion4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open safetensors file whose header has been read and validated; tensor data is read only when
 * asked for, so a caller can check names and shapes before loading anything large.
 */
public final class SafeTensorsFile implements AutoCloseable {
    /** The reference implementation's cap; a real header is kilobytes, so more means a corrupt file. */
    public static final long MAX_HEADER_BYTES = 100_000_000;

    /** The largest byte[] the JVM reliably allocates. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final SafeTensorsHeader header;
    private final Map<String, TensorInfo> byName = new LinkedHashMap<>();

    private SafeTensorsFile(Path path, FileChannel channel, long dataStart, SafeTensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.header = header;
        for (TensorInfo t : header.tensors()) byName.put(t.name(), t);
    }

    /** Opens the file and validates its whole header; the file stays open until {@link #close()}. */
    public static SafeTensorsFile open(Path path) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "no such safetensors file");
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new SafeTensorsException(path, null, "file is " + SafeTensorsException.bytes(size)
                        + "; a safetensors file starts with an 8-byte header length");
            }
            byte[] prefixBytes = new byte[8];
            readFully(ch, 0, prefixBytes, path);
            ByteBuffer prefix = ByteBuffer.wrap(prefixBytes).order(ByteOrder.LITTLE_ENDIAN);
            long headerLength = prefix.getLong(0);
            // Compared unsigned: a negative signed value is a huge length, not a small one.
            if (Long.compareUnsigned(headerLength, size - 8) > 0) {
                throw new SafeTensorsException(path, null, "header length prefix says "
                        + (headerLength < 0 ? Long.toUnsignedString(headerLength) + " bytes"
                                : SafeTensorsException.bytes(headerLength))
                        + ", but only " + SafeTensorsException.bytes(size - 8) + " follow it: truncated, or "
                        + notSafetensorsHint(prefix));
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw new SafeTensorsException(path, null, "header length prefix says "
                        + SafeTensorsException.bytes(headerLength) + ", over the " + SafeTensorsException.bytes(MAX_HEADER_BYTES)
                        + " limit: corrupt, or " + notSafetensorsHint(prefix));
            }
            byte[] json = new byte[(int) headerLength];
            readFully(ch, 8, json, path);
            SafeTensorsHeader header = SafeTensorsHeader.parse(json, size - 8 - headerLength, path);
            return new SafeTensorsFile(path, ch, 8 + headerLength, header);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static String notSafetensorsHint(ByteBuffer prefix) {
        if (prefix.get(0) == 'P' && prefix.get(1) == 'K') {
            return "not a safetensors file: it starts like a zip archive, as PyTorch .pt/.bin checkpoints do "
                    + "(convert it to safetensors first)";
        }
        return "not a safetensors file";
    }

    public Path path() {
        return path;
    }

    /** The "__metadata__" map (empty if the file has none), in file order. */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Every tensor's name, type, shape and offsets, in header order. */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** The header entry of one tensor; an error naming the file if there is none. */
    public TensorInfo info(String name) throws SafeTensorsException {
        TensorInfo t = byName.get(name);
        if (t == null) {
            throw new SafeTensorsException(path, name, "no such tensor in the file (it has " + byName.size()
                    + " tensors" + (byName.isEmpty() ? "" : ", e.g. '" + byName.keySet().iterator().next() + "'") + ")");
        }
        return t;
    }

    /** Name to shape for every tensor, in header order; the input to {@link SafeTensors#checkShapes}. */
    public Map<String, int[]> shapes() {
        Map<String, int[]> out = new LinkedHashMap<>();
        for (TensorInfo t : header.tensors()) out.put(t.name(), t.shape());
        return out;
    }

    /** Loads one tensor's bytes. */
    public RawTensor read(String name) throws IOException {
        TensorInfo t = info(name);
        if (t.byteSize() > MAX_ARRAY) {
            throw new SafeTensorsException(path, name, "tensor is " + SafeTensorsException.bytes(t.byteSize())
                    + ", more than a Java array can hold (2 GiB); it cannot be loaded as one RawTensor");
        }
        byte[] data = new byte[(int) t.byteSize()];
        readFully(channel, dataStart + t.begin(), data, path);
        return new RawTensor(t.type(), t.shape(), data);
    }

    /** Loads every tensor, in header order. */
    public Map<String, RawTensor> readAll() throws IOException {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        for (TensorInfo t : header.tensors()) out.put(t.name(), read(t.name()));
        return out;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Reads in chunks: a channel read into one huge heap buffer would allocate a direct copy as large. */
    private static void readFully(FileChannel ch, long position, byte[] dst, Path path) throws IOException {
        int done = 0;
        while (done < dst.length) {
            ByteBuffer chunk = ByteBuffer.wrap(dst, done, Math.min(dst.length - done, 1 << 20));
            while (chunk.hasRemaining()) {
                int n = ch.read(chunk, position + chunk.position());
                if (n < 0) {
                    throw new SafeTensorsException(path, null, "file ended at byte " + (position + chunk.position())
                            + " while reading " + dst.length + " bytes at " + position + " (was it changed while open?)");
                }
            }
            done = chunk.position();
        }
    }
}
