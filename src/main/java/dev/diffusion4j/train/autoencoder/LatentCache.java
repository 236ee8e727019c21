package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.stream.Stream;

/**
 * A dataset encoded once into an autoencoder's latents (the posterior mode, unscaled), kept on disk in the
 * autoencoder run's latents/KEY/ folder as safetensors shards ("latents" f32 [n, c, h, w], "labels" i64 [n]) plus
 * meta.json. KEY hashes the autoencoder's weights, the data spec and the image shape, so a retrained autoencoder (or
 * other data) encodes afresh while every diffusion run on the same pair reuses the shards. A folder is written whole
 * into a temporary one and renamed, so an interrupted encoding leaves nothing that looks complete.
 */
public final class LatentCache {
    public static final int SHARD = 4096;

    /** Unscaled latents and labels in memory, with the standard deviation of all latent values. */
    public record Latents(float[] values, int[] labels, int n, int c, int h, int w, double std, Path dir, boolean reused) {}

    private LatentCache() {}

    public static String key(String weightsSha256, String dataSpec, ImageDataset pixels) {
        // the background of transparent pixels changes the images, so it is part of the key
        String text = weightsSha256 + "\n" + dataSpec + "\n" + dev.diffusion4j.data.Background.spec() + "\n" + pixels.channels() + "x" + pixels.height() + "x" + pixels.width() + "\n" + pixels.size();
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The cached latents of {@code pixels} under {@code root}/KEY, encoding them first (with {@code progress} per image) when absent. */
    public static Latents load(Path root, String weightsSha256, String dataSpec, ImageDataset pixels, Autoencoder ae, Device device,
                               int batchSize, IntConsumer progress) {
        return load(root, weightsSha256, dataSpec, pixels, ae, device, batchSize, SHARD, progress);
    }

    static Latents load(Path root, String weightsSha256, String dataSpec, ImageDataset pixels, Autoencoder ae, Device device,
                        int batchSize, int shard, IntConsumer progress) {
        Path dir = root.resolve(key(weightsSha256, dataSpec, pixels));
        try {
            if (!Files.isRegularFile(dir.resolve("meta.json"))) encode(dir, weightsSha256, dataSpec, pixels, ae, device, batchSize, shard, progress);
            else return read(dir, true);
            return read(dir, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the latent cache " + dir + ": " + e.getMessage()
                    + " (delete the folder to encode afresh)", e);
        }
    }

    private static void encode(Path dir, String hash, String dataSpec, ImageDataset pixels, Autoencoder ae, Device device, int batchSize,
                               int shard, IntConsumer progress) throws IOException {
        Path tmp = dir.resolveSibling("." + dir.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        deleteTree(tmp);
        Files.createDirectories(tmp);
        int n = pixels.size(), shards = 0;
        int[] shape = null;
        double sum = 0, sumSq = 0;
        long count = 0;
        try (var g = GradMode.off()) {
            for (int s0 = 0; s0 < n; s0 += shard) {
                int sn = Math.min(shard, n - s0);
                Tensor[] parts = new Tensor[(sn + batchSize - 1) / batchSize];
                for (int b = 0; b < parts.length; b++) {
                    int from = s0 + b * batchSize, size = Math.min(batchSize, s0 + sn - from);
                    parts[b] = ae.encode(AutoencoderData.range(pixels, from, size).to(device)).latents(null).to(Device.CPU).contiguous();
                    progress.accept(size);
                }
                Tensor lat = Tensor.cat(0, parts);
                shape = lat.shape();
                for (float v : lat.toFloatArray()) { sum += v; sumSq += (double) v * v; count++; }
                long[] labels = new long[sn];
                for (int i = 0; i < sn; i++) labels[i] = pixels.label(s0 + i);
                Map<String, Tensor> m = new LinkedHashMap<>();
                m.put("latents", lat);
                m.put("labels", Tensor.ofLongs(labels, sn));
                StateDicts.save(tmp.resolve(String.format("shard-%05d.safetensors", shards++)), m, Map.of("format", "diffusion4j-latents/1"));
            }
        }
        double mean = sum / count, std = Math.sqrt(Math.max(0, sumSq / count - mean * mean));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("weights_sha256", hash);
        meta.put("data", dataSpec);
        meta.put("count", n);
        meta.put("shape", java.util.List.of(shape[1], shape[2], shape[3]));
        meta.put("shards", shards);
        meta.put("std", std);
        AtomicFiles.writeString(tmp.resolve("meta.json"), Json.writePretty(meta) + "\n");
        deleteTree(dir);
        Files.createDirectories(dir.getParent());
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Latents read(Path dir, boolean reused) throws IOException {
        Map<String, Object> meta = Json.parseObject(Files.readString(dir.resolve("meta.json")));
        int n = Json.requireInt(meta, "count"), shards = Json.requireInt(meta, "shards");
        @SuppressWarnings("unchecked") java.util.List<Number> shape = (java.util.List<Number>) meta.get("shape");
        int c = shape.get(0).intValue(), h = shape.get(1).intValue(), w = shape.get(2).intValue(), len = c * h * w;
        float[] values = new float[n * len];
        int[] labels = new int[n];
        int at = 0;
        for (int s = 0; s < shards; s++) {
            Map<String, Tensor> m = StateDicts.load(dir.resolve(String.format("shard-%05d.safetensors", s)));
            float[] v = m.get("latents").toFloatArray();
            long[] l = m.get("labels").toLongArray();
            System.arraycopy(v, 0, values, at * len, v.length);
            for (int i = 0; i < l.length; i++) labels[at + i] = (int) l[i];
            at += l.length;
        }
        if (at != n) throw new IOException("the shards hold " + at + " latents, meta.json says " + n);
        return new Latents(values, labels, n, c, h, w, Json.requireDouble(meta, "std"), dir, reused);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
