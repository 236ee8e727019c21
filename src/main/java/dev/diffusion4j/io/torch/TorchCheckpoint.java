package dev.diffusion4j.io.torch;

import dev.diffusion4j.io.RawTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A PyTorch checkpoint (.pt, .pth, .bin, .ckpt) read without Python and without running any of its code: the zip
 * format torch.save writes since 1.6, or the legacy format before it. Opening reads the pickle; {@link #stateDict}
 * copies out the tensors of one name-to-tensor map inside it.
 *
 * <p>Memory stays bounded by the file: storages are read once each and may not add up to more than the file holds,
 * and the tensors viewing them may not add up to more than {@value #VIEW_FACTOR} times the file (views share storage).
 */
public final class TorchCheckpoint implements AutoCloseable {
    static final int VIEW_FACTOR = 4;

    private final Path path;
    private final long fileSize;
    private final StorageSource storages;
    private final Object root;
    private final Map<String, byte[]> storageCache = new HashMap<>();
    private long storageBytes;
    private long tensorBytes;

    private TorchCheckpoint(Path path, long fileSize, StorageSource storages, Object root) {
        this.path = path;
        this.fileSize = fileSize;
        this.storages = storages;
        this.root = root;
    }

    /** Opens a zip or legacy checkpoint and reads its pickle; errors name the file and what is wrong. */
    public static TorchCheckpoint open(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new NoSuchFileException(path.toString(), null, "no such checkpoint file");
        long size = Files.size(path);
        try {
            return switch (WeightsFiles.detect(path)) {
                case TORCH_ZIP -> {
                    ZipCheckpoint z = ZipCheckpoint.open(path, size);
                    yield new TorchCheckpoint(path, size, z, z.root());
                }
                case TORCH_LEGACY -> {
                    LegacyCheckpoint l = LegacyCheckpoint.open(path);
                    yield new TorchCheckpoint(path, size, l, l.root());
                }
                case TORCH_TAR -> throw new TorchCheckpointException("a tar checkpoint, written by PyTorch before 0.4: not supported;"
                        + " load it with torch and save it again (torch.save writes the zip format)");
                case SAFETENSORS -> throw new TorchCheckpointException("a safetensors file, not a PyTorch checkpoint");
                case UNKNOWN -> throw new TorchCheckpointException("not a PyTorch checkpoint: neither a zip archive nor a legacy torch.save pickle");
            };
        } catch (TorchCheckpointException e) {
            throw named(path, e);
        }
    }

    public Path path() {
        return path;
    }

    /**
     * The tensors of the name-to-tensor map at {@code keyPath} (null: the whole checkpoint), in file order, each a
     * contiguous little-endian copy. A path that does not lead to such a map is refused, listing the keys there.
     */
    public Map<String, RawTensor> stateDict(String keyPath) throws IOException {
        return stateDict(keyPath, (done, total) -> {});
    }

    /** Told after each tensor is copied out, for a progress bar on large files. */
    public interface Progress {
        void tensors(int done, int total);
    }

    /** As {@link #stateDict(String)}, reporting each tensor to {@code progress}. */
    public Map<String, RawTensor> stateDict(String keyPath, Progress progress) throws IOException {
        try {
            Map<String, TensorRef> refs = KeyPaths.stateDict(KeyPaths.select(root, keyPath), keyPath);
            Map<TensorRef, RawTensor> done = new IdentityHashMap<>(); // the same tensor object twice is copied once
            Map<String, RawTensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
                RawTensor t = done.get(e.getValue());
                if (t == null) {
                    t = materialise(e.getKey(), e.getValue());
                    done.put(e.getValue(), t);
                }
                out.put(e.getKey(), t);
                progress.tensors(out.size(), refs.size());
            }
            return out;
        } catch (TorchCheckpointException e) {
            throw named(path, e);
        }
    }

    private RawTensor materialise(String name, TensorRef t) throws IOException {
        try {
            byte[] storage = storage(t.storage());
            long bytes = TensorViews.checkedBytes(t, storage.length);
            if (bytes > (long) VIEW_FACTOR * fileSize + (1 << 20) - tensorBytes) {
                throw new TorchCheckpointException("its views add up to more than " + VIEW_FACTOR + " times the file's "
                        + fileSize + " bytes; refusing to allocate that much for a file this size");
            }
            tensorBytes += bytes;
            return TensorViews.materialise(t, storage, storages.bigEndian());
        } catch (TorchCheckpointException e) {
            throw new TorchCheckpointException("tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    private byte[] storage(StorageRef s) throws IOException {
        byte[] b = storageCache.get(s.key());
        if (b != null) return b;
        if (s.byteSize() > fileSize - storageBytes) {
            throw new TorchCheckpointException("storage '" + s.key() + "' declares " + s.byteSize() + " bytes; with the storages"
                    + " read before it that is more than the whole file (" + fileSize + " bytes)");
        }
        b = storages.read(s);
        storageBytes += b.length;
        storageCache.put(s.key(), b);
        return b;
    }

    private static TorchCheckpointException named(Path path, TorchCheckpointException e) {
        String m = e.getMessage();
        return m != null && m.startsWith(path + ": ") ? e : new TorchCheckpointException(path + ": " + m, e.getCause() != null ? e.getCause() : e);
    }

    @Override
    public void close() throws IOException {
        storages.close();
    }
}
