package dev.diffusion4j.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compiles CUDA C++ kernels with NVRTC for the device's own architecture (a CUBIN, so the driver
 * does no PTX JIT) and keeps the result twice: loaded modules in memory, images on disk under
 * {@link #defaultDirectory()} keyed by a hash of source, options, architecture and NVRTC version,
 * so a second process skips the compile. Where NVRTC cannot target the device (a device newer than
 * the toolkit) it emits PTX for the newest architecture it knows and the driver JITs that.
 */
public final class KernelCache {
    /** Where kernel sources live on the classpath. */
    public static final String RESOURCE_DIR = "/dev/diffusion4j/engine/cuda/kernels/";

    private static final System.Logger LOG = System.getLogger(KernelCache.class.getName());

    /** Counters: compiles run, images read from disk, modules found in memory. */
    public record Stats(long compiles, long diskHits, long memoryHits) {}

    private final CudaContext context;
    private final Path directory;
    private final Map<String, CudaModule> modules = new ConcurrentHashMap<>();
    private final Map<String, CudaModule> byResource = new ConcurrentHashMap<>();
    private final Map<String, Object> compileLocks = new ConcurrentHashMap<>();
    private final AtomicLong compiles = new AtomicLong();
    private final AtomicLong diskHits = new AtomicLong();
    private final AtomicLong memoryHits = new AtomicLong();
    private volatile Target target;

    /** What NVRTC is asked to emit for this device. */
    record Target(String archOption, boolean cubin, String nvrtcVersion) {}

    KernelCache(CudaContext context, Path directory) {
        this.context = context;
        this.directory = directory;
    }

    /**
     * $DIFFUSION4J_CACHE/kernels where that variable is set, else $XDG_CACHE_HOME/diffusion4j/kernels,
     * else ~/.cache/diffusion4j/kernels.
     */
    public static Path defaultDirectory() {
        String own = System.getenv("DIFFUSION4J_CACHE");
        if (own != null && !own.isBlank()) return Path.of(own).resolve("kernels");
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path root = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return root.resolve("diffusion4j").resolve("kernels");
    }

    public Path directory() {
        return directory;
    }

    public Stats stats() {
        return new Stats(compiles.get(), diskHits.get(), memoryHits.get());
    }

    /** Kernel {@code function} of the classpath source {@code resource} (a file in {@link #RESOURCE_DIR}). */
    public Kernel kernel(String resource, String function) {
        return module(resource).kernel(function);
    }

    /**
     * The module compiled from the classpath source {@code resource}. Classpath sources cannot
     * change while the process runs, so after the first call this is one map lookup: no re-read,
     * no hashing (which would otherwise cost more than the launch it precedes).
     */
    public CudaModule module(String resource) {
        CudaModule m = byResource.get(resource);
        if (m != null) {
            memoryHits.incrementAndGet();
            return m;
        }
        m = compile(resource, readResource(resource), List.of());
        byResource.putIfAbsent(resource, m);
        return m;
    }

    /**
     * The module for {@code source} compiled with {@code extraOptions} (e.g. {@code -DBLOCK=256});
     * from memory, else from disk, else compiled now.
     */
    public CudaModule compile(String name, String source, List<String> extraOptions) {
        Target t = target();
        List<String> options = new ArrayList<>(List.of(t.archOption(), "--std=c++17", "-lineinfo"));
        options.addAll(extraOptions);
        String key = cacheKey(source, options, t.archOption(), t.nvrtcVersion());
        CudaModule cached = modules.get(key);
        if (cached != null) {
            memoryHits.incrementAndGet();
            return cached;
        }
        // one lock per module, so different modules compile in parallel (NVRTC is thread-safe per program)
        synchronized (compileLocks.computeIfAbsent(key, k -> new Object())) {
            cached = modules.get(key);
            if (cached != null) {
                memoryHits.incrementAndGet();
                return cached;
            }
            CudaModule m = loadOrCompile(name, source, options, t, key);
            modules.put(key, m);
            return m;
        }
    }

    private CudaModule loadOrCompile(String name, String source, List<String> options, Target t, String key) {
        String stem = name.replaceAll("\\.cu$", "").replaceAll("[^A-Za-z0-9_.-]", "_");
        Path file = directory.resolve(stem + "-" + key + (t.cubin() ? ".cubin" : ".ptx"));
        if (Files.isRegularFile(file)) {
            try {
                byte[] image = Files.readAllBytes(file);
                CudaModule m = load(name, image, t.cubin());
                diskHits.incrementAndGet();
                return m;
            } catch (IOException | CudaException e) {
                // A truncated or foreign file: drop it and compile afresh.
                LOG.log(System.Logger.Level.WARNING, "ignoring unusable cached kernel " + file + ": " + e.getMessage());
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // compile anyway
                }
            }
        }
        NvrtcApi.Output out = NvrtcApi.compile(name, source, options, t.cubin());
        compiles.incrementAndGet();
        CudaModule m = load(name, out.image(), t.cubin());
        store(file, out.image());
        return m;
    }

    private CudaModule load(String name, byte[] image, boolean cubin) {
        context.makeCurrent();
        try (Arena a = Arena.ofConfined()) {
            // PTX must end in NUL; a CUBIN is an ELF image whose size the driver reads from its header.
            byte[] bytes = !cubin && (image.length == 0 || image[image.length - 1] != 0) ? Arrays.copyOf(image, image.length + 1) : image;
            MemorySegment seg = a.allocate(bytes.length, 16);
            MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 0, bytes.length);
            return new CudaModule(context, name, DriverApi.moduleLoadData(seg, name));
        }
    }

    /** Write-then-rename, so a concurrent reader never sees half a file; failures only cost speed. */
    private void store(Path file, byte[] image) {
        try {
            Files.createDirectories(directory);
            Path tmp = Files.createTempFile(directory, ".kernel", ".tmp");
            Files.write(tmp, image);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "kernel cache " + directory + " not writable (" + e + "); kernels will be recompiled next run");
        }
    }

    /** The device's arch as CUBIN where NVRTC supports it, else PTX for the newest arch NVRTC knows below it. */
    private Target target() {
        Target t = target;
        if (t != null) return t;
        int cc = context.properties().computeCapability();
        int[] v = NvrtcApi.version();
        String version = v[0] + "." + v[1];
        int[] supported = NvrtcApi.supportedArchs();
        if (Arrays.stream(supported).anyMatch(a -> a == cc)) {
            t = new Target("-arch=sm_" + cc, true, version);
        } else {
            int best = Arrays.stream(supported).filter(a -> a <= cc).max().orElseThrow(() -> new CudaException(
                    "NVRTC " + version + " supports no architecture at or below the device's sm_" + cc
                            + " (it knows " + Arrays.toString(supported) + "): install an older CUDA toolkit"));
            t = new Target("-arch=compute_" + best, false, version);
        }
        target = t;
        return t;
    }

    /** SHA-256 over everything that changes the image, as 32 hex digits. */
    static String cacheKey(String source, List<String> options, String arch, String nvrtcVersion) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String part : List.of(source, String.join("\u0001", options), arch, nvrtcVersion)) {
                md.update(part.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    static String readResource(String resource) {
        try (InputStream in = KernelCache.class.getResourceAsStream(RESOURCE_DIR + resource)) {
            if (in == null) throw new CudaException("kernel source " + RESOURCE_DIR + resource + " is not on the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CudaException("kernel source " + resource + " could not be read: " + e.getMessage(), e);
        }
    }

    void unloadAll() {
        for (CudaModule m : modules.values()) {
            try {
                m.unload();
            } catch (CudaException e) {
                LOG.log(System.Logger.Level.WARNING, "unloading " + m.name() + ": " + e.getMessage());
            }
        }
        modules.clear();
        byResource.clear();
    }
}
