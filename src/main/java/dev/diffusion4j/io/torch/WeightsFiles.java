package dev.diffusion4j.io.torch;

import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.StoreType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads a weights file a user hands over, whatever wrote it: safetensors, or a PyTorch checkpoint (zip or legacy),
 * told apart by their first bytes rather than the file name.
 */
public final class WeightsFiles {
    /** What a file's first bytes say it is. */
    public enum Format { SAFETENSORS, TORCH_ZIP, TORCH_LEGACY, TORCH_TAR, UNKNOWN }

    private WeightsFiles() {}

    /**
     * The name-to-tensor map in the file. For a PyTorch checkpoint, {@code keyPath} (e.g. "ema" or "model.state_dict")
     * picks a dict inside it; for safetensors it picks the tensors named "keyPath." + name, with that prefix removed.
     * Null or empty takes the whole file.
     */
    public static Map<String, RawTensor> read(Path path, String keyPath) throws IOException {
        return read(path, keyPath, (done, total) -> {});
    }

    /** As {@link #read(Path, String)}, reporting each tensor of a PyTorch checkpoint as it is copied out. */
    public static Map<String, RawTensor> read(Path path, String keyPath, TorchCheckpoint.Progress progress) throws IOException {
        if (detect(path) == Format.SAFETENSORS) return withPrefix(path, SafeTensors.read(path), keyPath);
        try (TorchCheckpoint c = TorchCheckpoint.open(path)) {
            return c.stateDict(keyPath, progress);
        }
    }

    /** The format, from the first bytes. */
    public static Format detect(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new NoSuchFileException(path.toString(), null, "no such weights file");
        byte[] head;
        try (InputStream in = Files.newInputStream(path)) {
            head = in.readNBytes(512);
        }
        long size = Files.size(path);
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5) && (head[3] == 4 || head[3] == 6)) return Format.TORCH_ZIP;
        if (head.length >= LegacyCheckpoint.START.length && Arrays.equals(head, 0, LegacyCheckpoint.START.length,
                LegacyCheckpoint.START, 0, LegacyCheckpoint.START.length)) return Format.TORCH_LEGACY;
        if (head.length >= 262 && new String(head, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) return Format.TORCH_TAR;
        if (head.length >= 9 && head[8] == '{') {
            long n = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n > 0 && n <= size - 8) return Format.SAFETENSORS;
        }
        return Format.UNKNOWN;
    }

    /** Floating-point tensors stored as {@code floatsAs} (F32, BF16 or F16; rounded to nearest even), others as they are. */
    public static Map<String, RawTensor> castFloats(Map<String, RawTensor> tensors, StoreType floatsAs) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(k, !t.type().isFloatingPoint() || t.type() == floatsAs ? t
                : t.type() == StoreType.F64 && floatsAs == StoreType.F32 ? RawTensor.ofDoubles(t.shape(), t.toDoubles(), floatsAs)
                : RawTensor.ofFloats(t.shape(), t.toFloats(), floatsAs)));
        return out;
    }

    private static Map<String, RawTensor> withPrefix(Path path, Map<String, RawTensor> all, String keyPath) throws TorchCheckpointException {
        if (keyPath == null || keyPath.isEmpty()) return all;
        String prefix = keyPath + ".";
        Map<String, RawTensor> out = new LinkedHashMap<>();
        all.forEach((k, v) -> { if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v); });
        if (out.isEmpty()) {
            TreeSet<String> prefixes = new TreeSet<>();
            for (String k : all.keySet()) if (k.contains(".")) prefixes.add(k.substring(0, k.indexOf('.')));
            throw new TorchCheckpointException(path + ": no tensor name starts with '" + prefix + "'"
                    + (prefixes.isEmpty() ? "" : "; first name parts in the file: " + String.join(", ", prefixes.stream().limit(20).toList())));
        }
        return out;
    }
}
