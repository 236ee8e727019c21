package dev.diffusion4j.metrics;

import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.SafeTensorsFile;
import dev.diffusion4j.io.StoreType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Reference-set features and statistics cached on disk as safetensors ({@code features} F32, {@code mean} and
 * {@code covariance} F64), one file per (feature network weights, data spec) pair, so a reference set is encoded once.
 * The key and the network name are kept in the file's metadata and checked on reading.
 */
public final class ReferenceCache {
    private final Path dir;

    public ReferenceCache(Path dir) { this.dir = dir; }

    /**
     * {@code reference-stats} under the system property {@code diffusion4j.cache}, else {@code $DIFFUSION4J_CACHE}, else
     * {@code ~/.cache/diffusion4j}.
     */
    public static ReferenceCache atDefaultLocation() {
        String env = System.getProperty("diffusion4j.cache", System.getenv("DIFFUSION4J_CACHE"));
        Path root = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "diffusion4j");
        return new ReferenceCache(root.resolve("reference-stats"));
    }

    public Path dir() { return dir; }

    /** The cached reference for this network and data spec, computing and storing it when absent. */
    public ReferenceSet getOrCompute(FeatureNetwork net, String dataSpec, Supplier<Features> compute) {
        String key = key(net.weightsHash(), dataSpec);
        Path file = dir.resolve(key.substring(0, 24) + ".safetensors");
        if (Files.isRegularFile(file)) {
            ReferenceSet cached = read(file, key, net.name());
            if (cached != null) return cached;
        }
        Features f = compute.get();
        GaussianStats s = GaussianStats.of(f);
        write(file, key, dataSpec, f, s);
        return new ReferenceSet(f, s, false);
    }

    static String key(String weightsHash, String dataSpec) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((weightsHash + "\n" + dataSpec).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The cached set, or null when the file is another key's (a prefix clash) or unreadable (then it is recomputed). */
    private static ReferenceSet read(Path file, String key, String network) {
        try (SafeTensorsFile st = SafeTensors.open(file)) {
            if (!key.equals(st.metadata().get("key"))) return null;
            RawTensor f = st.read("features"), mean = st.read("mean"), cov = st.read("covariance");
            int n = f.shape()[0], d = f.shape()[1];
            float[] fv = f.toFloats();
            double[] values = new double[fv.length];
            for (int i = 0; i < fv.length; i++) values[i] = fv[i];
            Features features = new Features(network, n, d, values);
            return new ReferenceSet(features, new GaussianStats(network, n, d, mean.toDoubles(), cov.toDoubles()), true);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void write(Path file, String key, String dataSpec, Features f, GaussianStats s) {
        float[] fv = new float[f.values().length];
        for (int i = 0; i < fv.length; i++) fv[i] = (float) f.values()[i];
        Map<String, RawTensor> t = new LinkedHashMap<>();
        t.put("features", RawTensor.ofFloats(new int[] {f.count(), f.dim()}, fv, StoreType.F32));
        t.put("mean", RawTensor.ofDoubles(new int[] {s.dim()}, s.mean(), StoreType.F64));
        t.put("covariance", RawTensor.ofDoubles(new int[] {s.dim(), s.dim()}, s.covariance(), StoreType.F64));
        Map<String, String> meta = Map.of("key", key, "network", f.network(), "data", dataSpec, "format", "diffusion4j-reference/1");
        try {
            Files.createDirectories(dir);
            SafeTensors.write(file, t, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write reference statistics to " + file + ": " + e.getMessage(), e);
        }
    }
}
