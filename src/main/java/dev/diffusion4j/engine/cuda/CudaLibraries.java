package dev.diffusion4j.engine.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Finds and loads the CUDA shared libraries (driver, NVRTC, cuBLASLt, cuBLAS, cuDNN) once per
 * process. Each is searched in {@link LibrarySearch#standard the usual folders}, then asked of the
 * system loader by soname. Companion libraries that the main one opens by soname (NVRTC's builtins,
 * cuBLAS's cuBLASLt, cuDNN's sub-libraries) are loaded first from the same folder, so a folder
 * that is not on the loader's path (a pip package, a toolkit under /usr/local) still works.
 */
public final class CudaLibraries {
    private CudaLibraries() {}

    static final LibrarySearch.Spec DRIVER = new LibrarySearch.Spec("NVIDIA driver", "libcuda.so", List.of(1),
            "This machine has no NVIDIA driver, so the CUDA backend is off: install the driver, or use the CPU backend.");
    static final LibrarySearch.Spec NVRTC = new LibrarySearch.Spec("NVRTC", "libnvrtc.so", List.of(13, 12),
            "Install the CUDA toolkit (or pip install nvidia-cuda-nvrtc), or point CUDA_HOME or DIFFUSION4J_CUDA_LIBS at the folder that holds it.");
    static final LibrarySearch.Spec NVRTC_BUILTINS = new LibrarySearch.Spec("NVRTC builtins", "libnvrtc-builtins.so", List.of(13, 12), "");
    static final LibrarySearch.Spec CUBLAS_LT = new LibrarySearch.Spec("cuBLASLt", "libcublasLt.so", List.of(13, 12),
            "Install the CUDA toolkit (or pip install nvidia-cublas), or point CUDA_HOME or DIFFUSION4J_CUDA_LIBS at the folder that holds it.");
    static final LibrarySearch.Spec CUBLAS = new LibrarySearch.Spec("cuBLAS", "libcublas.so", List.of(13, 12),
            "Install the CUDA toolkit (or pip install nvidia-cublas), or point CUDA_HOME or DIFFUSION4J_CUDA_LIBS at the folder that holds it.");
    static final LibrarySearch.Spec CUDNN = new LibrarySearch.Spec("cuDNN", "libcudnn.so", List.of(9),
            "Install cuDNN 9 (or pip install nvidia-cudnn-cu13), or point DIFFUSION4J_CUDA_LIBS at the folder that holds it.");
    static final LibrarySearch.Spec NCCL = new LibrarySearch.Spec("NCCL", "libnccl.so", List.of(2),
            "Install NCCL 2 (or pip install nvidia-nccl-cu13 / nvidia-nccl-cu12), or point DIFFUSION4J_CUDA_LIBS at the folder that holds it.");
    /** cuDNN 9 opens these by soname from libcudnn.so.9; cuDNN's legacy convolution lives in _cnn. */
    private static final List<String> CUDNN_PARTS = List.of("libcudnn_graph.so", "libcudnn_ops.so", "libcudnn_cnn.so",
            "libcudnn_heuristic.so", "libcudnn_engines_precompiled.so", "libcudnn_engines_runtime_compiled.so");

    private static final Supplier<LibrarySearch> SEARCH =
            memo(() -> LibrarySearch.standard(System.getenv(), Path.of(System.getProperty("user.home", "/"))));
    private static final Map<String, NativeLibrary> LOADED = new LinkedHashMap<>();
    private static final Supplier<Object> DRIVER_LIB = memoResult(() -> load(DRIVER, List.of()));
    private static final Supplier<Object> NVRTC_LIB = memoResult(() -> load(NVRTC, List.of(NVRTC_BUILTINS)));
    private static final Supplier<Object> CUBLAS_LT_LIB = memoResult(() -> load(CUBLAS_LT, List.of()));
    private static final Supplier<Object> CUBLAS_LIB = memoResult(() -> loadCublas());
    private static final Supplier<Object> CUDNN_LIB = memoResult(() -> load(CUDNN, CUDNN_PARTS.stream()
            .map(stem -> new LibrarySearch.Spec(stem, stem, List.of(9), "")).toList()));
    private static final Supplier<Object> NCCL_LIB = memoResult(() -> load(NCCL, List.of()));
    private static volatile String unavailableReason;
    private static volatile Boolean available;

    /**
     * True where the driver loads, initialises and reports at least one device. Never throws; on
     * false, {@link #unavailableReason()} says why.
     */
    public static boolean isAvailable() {
        Boolean a = available;
        if (a != null) return a;
        synchronized (CudaLibraries.class) {
            if (available != null) return available;
            try {
                driver();
                DriverApi.init();
                int n = DriverApi.deviceCount();
                if (n <= 0) unavailableReason = "the NVIDIA driver reports no CUDA device";
                available = n > 0;
            } catch (Throwable t) {
                Throwable cause = t instanceof ExceptionInInitializerError && t.getCause() != null ? t.getCause() : t;
                unavailableReason = cause.getMessage() == null ? cause.toString() : cause.getMessage();
                available = false;
            }
            return available;
        }
    }

    /** Why {@link #isAvailable()} said false (null where it said true or was not asked). */
    public static String unavailableReason() {
        return unavailableReason;
    }

    /** Throws a {@link CudaException} with the reason where no CUDA device can be used. */
    public static void requireAvailable() {
        if (!isAvailable()) throw new CudaException("CUDA is not available: " + unavailableReason);
    }

    /** The folders searched, in order. */
    public static List<Path> searchDirectories() {
        return SEARCH.get().directories();
    }

    /** Libraries loaded so far, by name, with the file each came from. */
    public static Map<String, Path> loaded() {
        synchronized (LOADED) {
            Map<String, Path> out = new LinkedHashMap<>();
            LOADED.forEach((k, v) -> out.put(k, v.path()));
            return out;
        }
    }

    public static NativeLibrary driver() { return get(DRIVER_LIB); }
    public static NativeLibrary nvrtc() { return get(NVRTC_LIB); }
    public static NativeLibrary cublasLt() { return get(CUBLAS_LT_LIB); }
    public static NativeLibrary cublas() { return get(CUBLAS_LIB); }
    public static NativeLibrary cudnn() { return get(CUDNN_LIB); }
    /** NCCL, for data-parallel training on several GPUs; loaded on first use only. */
    public static NativeLibrary nccl() { return get(NCCL_LIB); }

    /** cuBLAS needs the cuBLASLt of its own release: take it from cuBLAS's folder when it is there. */
    private static NativeLibrary loadCublas() {
        Optional<Path> main = SEARCH.get().find(CUBLAS);
        if (main.isPresent() && LibrarySearch.findIn(main.get().getParent(), CUBLAS_LT).isPresent()) {
            return load(CUBLAS, List.of(CUBLAS_LT));
        }
        cublasLt();
        return load(CUBLAS, List.of());
    }

    private static NativeLibrary load(LibrarySearch.Spec spec, List<LibrarySearch.Spec> companions) {
        LibrarySearch search = SEARCH.get();
        // cuDNN ships apart from the toolkit: of a system copy and a pip one, the newer (faster engines) unless the
        // environment names a folder; the toolkit's libraries keep the search order, which matches them to one toolkit
        Optional<Path> file = spec == CUDNN ? search.findNewest(spec) : search.find(spec);
        Arena global = Arena.global();
        if (file.isPresent()) {
            Path dir = file.get().getParent();
            SymbolLookup lookup = null;
            List<SymbolLookup> parts = new ArrayList<>();
            for (LibrarySearch.Spec c : companions) {
                // Best effort: a companion that is absent or fails is the main library's business.
                LibrarySearch.findIn(dir, c).ifPresent(p -> {
                    try {
                        parts.add(SymbolLookup.libraryLookup(p, global));
                        register(c.displayName(), new NativeLibrary(c.displayName(), p, null));
                    } catch (RuntimeException ignored) {
                        // reported later by the main library if it matters
                    }
                });
            }
            try {
                lookup = SymbolLookup.libraryLookup(file.get(), global);
            } catch (RuntimeException e) {
                throw new CudaException("CUDA library " + spec.displayName() + " at " + file.get()
                        + " could not be loaded: " + e.getMessage(), e);
            }
            for (SymbolLookup p : parts) lookup = lookup.or(p);
            return register(spec.displayName(), new NativeLibrary(spec.displayName(), file.get(), lookup));
        }
        for (String soname : spec.sonames()) {
            try {
                SymbolLookup lookup = SymbolLookup.libraryLookup(soname, global);
                Path where = mappedPath(spec.stem()).orElse(Path.of(soname));
                return register(spec.displayName(), new NativeLibrary(spec.displayName(), where, lookup));
            } catch (RuntimeException notOnLoaderPath) {
                // try the next soname
            }
        }
        throw new CudaException(search.notFoundMessage(spec));
    }

    private static NativeLibrary register(String name, NativeLibrary lib) {
        synchronized (LOADED) {
            LOADED.put(name, lib);
        }
        return lib;
    }

    /** Where the loader found a library it opened by soname, read from /proc/self/maps. */
    private static Optional<Path> mappedPath(String stem) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash < 0) continue;
                Path p = Path.of(line.substring(slash).strip());
                if (p.getFileName().toString().startsWith(stem + ".")) return Optional.of(p);
            }
        } catch (IOException | RuntimeException e) {
            // no /proc: report the soname instead
        }
        return Optional.empty();
    }

    private static NativeLibrary get(Supplier<Object> s) {
        Object r = s.get();
        if (r instanceof NativeLibrary lib) return lib;
        throw (RuntimeException) r;
    }

    /** Memoises a load, success or failure, so a missing library is searched once per process. */
    private static Supplier<Object> memoResult(Supplier<NativeLibrary> load) {
        return memo(() -> {
            try {
                return load.get();
            } catch (CudaException e) {
                return e;
            } catch (RuntimeException e) {
                return new CudaException(e.toString(), e);
            }
        });
    }

    private static <T> Supplier<T> memo(Supplier<T> s) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) value = s.get();
                return value;
            }
        };
    }
}
