package dev.diffusion4j.io.torch;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The format torch.save wrote before 1.6 (and still writes with {@code _use_new_zipfile_serialization=False}): five
 * pickles back to back (a magic number, the protocol version 1001, a dict of system facts such as byte order, the
 * object, the list of storage keys), then for each key in that order an 8-byte little-endian element count and the
 * storage's raw bytes.
 */
final class LegacyCheckpoint implements StorageSource {
    static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    /** How a legacy checkpoint begins: PROTO 2, LONG1 of 10 bytes, then the magic number's low byte. */
    static final byte[] START = {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c};

    private final FileChannel channel;
    private final long fileSize;
    private final Object root;
    private final boolean bigEndian;
    private final Map<String, Long> dataOffset = new HashMap<>();

    private LegacyCheckpoint(FileChannel channel) throws IOException {
        this.channel = channel;
        this.fileSize = channel.size();
        PickleInput in = PickleInput.of(channel, 0);
        StorageIds none = new StorageIds(true);
        if (!MAGIC.equals(asBig(new Unpickler(in, none).load()))) throw new TorchCheckpointException("not a PyTorch checkpoint (wrong magic number)");
        Object protocol = new Unpickler(in, none).load();
        if (!Long.valueOf(1001).equals(protocol)) throw new TorchCheckpointException("legacy checkpoint protocol " + protocol + ", expected 1001");
        Object sysInfo = new Unpickler(in, none).load();
        this.bigEndian = sysInfo instanceof Map<?, ?> m && Boolean.FALSE.equals(m.get("little_endian"));
        StorageIds storages = new StorageIds(true);
        this.root = new Unpickler(in, storages).load();
        if (!(new Unpickler(in, none).load() instanceof List<?> keys)) throw new TorchCheckpointException("the storage key list is missing");
        long at = in.position();
        for (Object k : keys) {
            StorageRef s = k instanceof String key ? storages.byKey().get(key) : null;
            if (s == null) throw new TorchCheckpointException("storage key " + Unpickler.typeName(k) + " '" + k + "' is not used by the pickle");
            if (dataOffset.containsKey(s.key())) throw new TorchCheckpointException("storage '" + s.key() + "' is listed twice");
            if (fileSize - at < 8) throw new TorchCheckpointException("file ends at byte " + fileSize + " before storage '" + s.key() + "': truncated");
            long count = ByteBuffer.wrap(readAt(at, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (count != s.numel()) {
                throw new TorchCheckpointException("storage '" + s.key() + "' holds " + count + " elements where the pickle declares " + s.numel());
            }
            if (s.byteSize() > fileSize - at - 8) {
                throw new TorchCheckpointException("storage '" + s.key() + "' needs " + s.byteSize() + " bytes at byte " + (at + 8)
                        + ", but the file ends at " + fileSize + ": truncated");
            }
            dataOffset.put(s.key(), at + 8);
            at += 8 + s.byteSize();
        }
    }

    static LegacyCheckpoint open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new LegacyCheckpoint(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    Object root() {
        return root;
    }

    @Override
    public byte[] read(StorageRef s) throws IOException {
        Long offset = dataOffset.get(s.key());
        if (offset == null) throw new TorchCheckpointException("storage '" + s.key() + "' is not in the file's storage list");
        if (s.byteSize() > TensorViews.MAX_ARRAY) throw new TorchCheckpointException("storage '" + s.key() + "' is over 2 GiB, more than one Java array holds");
        return readAt(offset, (int) s.byteSize()); // checked against the file size when the list was read
    }

    private byte[] readAt(long position, int n) throws IOException {
        byte[] dst = new byte[n];
        ByteBuffer b = ByteBuffer.wrap(dst);
        while (b.hasRemaining()) {
            int chunk = Math.min(b.remaining(), 1 << 20);
            ByteBuffer slice = b.slice(b.position(), chunk);
            while (slice.hasRemaining()) {
                if (channel.read(slice, position + b.position() + slice.position()) < 0) {
                    throw new TorchCheckpointException("file ended at byte " + (position + b.position() + slice.position()) + " (was it changed while open?)");
                }
            }
            b.position(b.position() + chunk);
        }
        return dst;
    }

    private static BigInteger asBig(Object o) {
        return o instanceof BigInteger b ? b : o instanceof Long l ? BigInteger.valueOf(l) : null;
    }

    @Override
    public boolean bigEndian() {
        return bigEndian;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
