package dev.diffusion4j.engine.cuda;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where to look for a CUDA shared library, and which file to pick. Pure file-system logic (no
 * loading), so it can be tested on a machine without CUDA.
 */
public final class LibrarySearch {

    /**
     * One library to find: its file stem (e.g. {@code libnvrtc.so}), the acceptable major
     * versions, best first (files are named stem.MAJOR[.minor...]), and an install hint.
     */
    public record Spec(String displayName, String stem, List<Integer> majors, String hint) {
        /** The sonames the system loader is asked for when no folder holds the library. */
        public List<String> sonames() {
            return majors.stream().map(m -> stem + "." + m).toList();
        }

        /** Does this file name name a version of the library we accept? */
        public boolean matches(String fileName) {
            Optional<int[]> v = version(fileName);
            return v.isPresent() && v.get().length > 0 && majors.contains(v.get()[0]);
        }

        /** The numbers after the stem ({@code libnvrtc.so.13.0.88} gives 13,0,88), if it parses. */
        Optional<int[]> version(String fileName) {
            if (!fileName.startsWith(stem + ".")) return Optional.empty();
            return Optional.ofNullable(numbers(fileName.substring(stem.length() + 1).split("\\.")));
        }

        /** Dot-separated parts as numbers, or null when one is not a plain number. */
        static int[] numbers(String[] parts) {
            int[] v = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                if (parts[i].isEmpty() || parts[i].length() > 9 || !parts[i].chars().allMatch(Character::isDigit)) return null;
                v[i] = Integer.parseInt(parts[i]);
            }
            return v;
        }
    }

    private final List<Path> directories;
    /** How many leading folders the environment named: {@link #findNewest} keeps their order. */
    private final int pinned;

    public LibrarySearch(List<Path> directories) {
        this(directories, Integer.MAX_VALUE);
    }

    LibrarySearch(List<Path> directories, int pinned) {
        this.directories = List.copyOf(new LinkedHashSet<>(directories));
        this.pinned = Math.min(pinned, this.directories.size());
    }

    /** The folders searched, in order (duplicates removed). */
    public List<Path> directories() {
        return directories;
    }

    /**
     * The first folder (in search order) that holds an accepted version wins; within it, the
     * best major (in the spec's order), then the shortest name (the soname link, e.g. .so.13).
     */
    public Optional<Path> find(Spec spec) {
        for (Path dir : directories) {
            Optional<Path> hit = findIn(dir, spec);
            if (hit.isPresent()) return hit;
        }
        return Optional.empty();
    }

    /**
     * As {@link #find}, but past the folders the environment named, the folder holding the newest release wins (ties:
     * the earlier folder). For a library shipped apart from the toolkit, such as cuDNN, a system copy and a newer pip
     * copy often sit side by side, and newer releases carry faster engines for new GPUs. Releases are read from the
     * full version in a file name (libcudnn.so.9.14.0) or, for a pip package's lib folder, its dist-info folder
     * (nvidia_cudnn_cu13-9.19.0.56.dist-info); a folder whose release cannot be read ranks below those that can.
     */
    public Optional<Path> findNewest(Spec spec) {
        for (Path dir : directories.subList(0, pinned)) {
            Optional<Path> hit = findIn(dir, spec);
            if (hit.isPresent()) return hit;
        }
        Optional<Path> best = Optional.empty();
        int[] bestVersion = null;
        for (Path dir : directories.subList(pinned, directories.size())) {
            Optional<Path> hit = findIn(dir, spec);
            if (hit.isEmpty()) continue;
            int[] v = release(dir, spec);
            if (bestVersion == null || Arrays.compare(v, bestVersion) > 0) {
                best = hit;
                bestVersion = v;
            }
        }
        return best;
    }

    /** The release of the library in {@code dir} as far as it can be read (empty when not at all). */
    static int[] release(Path dir, Spec spec) {
        int[] best = new int[0];
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, spec.stem() + ".*")) {
            for (Path f : files) {
                best = fuller(best, spec.version(f.getFileName().toString()).orElse(null), spec);
            }
        } catch (IOException e) {
            return best;
        }
        if (best.length > 1) return best;
        // site-packages/nvidia/<pkg>/lib: the package's version is in site-packages/nvidia_<pkg>_*-<version>.dist-info
        Path pkg = dir.getParent(), nvidia = pkg == null ? null : pkg.getParent(), site = nvidia == null ? null : nvidia.getParent();
        if (site == null || !dir.getFileName().toString().equals("lib") || !nvidia.getFileName().toString().equals("nvidia")) return best;
        try (DirectoryStream<Path> infos = Files.newDirectoryStream(site, "nvidia_" + pkg.getFileName() + "*-*.dist-info")) {
            for (Path info : infos) {
                String name = info.getFileName().toString();
                name = name.substring(0, name.length() - ".dist-info".length());
                String ver = name.substring(name.lastIndexOf('-') + 1);
                best = fuller(best, Spec.numbers(ver.split("\\.")), spec);
            }
        } catch (IOException e) {
            return best;
        }
        return best;
    }

    /** {@code v} when it is an accepted major version spelled out further than {@code best}, else {@code best}. */
    private static int[] fuller(int[] best, int[] v, Spec spec) {
        return v != null && v.length > best.length && spec.majors().contains(v[0]) ? v : best;
    }

    /** The best accepted version of the library in one folder. */
    public static Optional<Path> findIn(Path dir, Spec spec) {
        if (!Files.isDirectory(dir)) return Optional.empty();
        List<Path> hits = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, spec.stem() + ".*")) {
            for (Path f : files) {
                if (spec.matches(f.getFileName().toString()) && Files.isReadable(f)) hits.add(f);
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        Comparator<Path> byMajor = Comparator.comparingInt(
                f -> spec.majors().indexOf(spec.version(f.getFileName().toString()).orElseThrow()[0]));
        return hits.stream()
                .min(byMajor.thenComparingInt(f -> f.getFileName().toString().length())
                        .thenComparing(f -> f.getFileName().toString()));
    }

    /** The message for a library found nowhere: what, where we looked, and how to fix it. */
    public String notFoundMessage(Spec spec) {
        String where = directories.isEmpty()
                ? "  (no candidate folder exists)"
                : directories.stream().map(d -> "  " + d + (Files.isDirectory(d) ? "" : "  (does not exist)"))
                        .collect(Collectors.joining("\n"));
        return "CUDA library " + spec.displayName() + " (" + String.join(" or ", spec.sonames())
                + ") not found. Looked in:\n" + where + "\nand the system loader's path (ldconfig, LD_LIBRARY_PATH). "
                + spec.hint();
    }

    /**
     * The standard search order: DIFFUSION4J_CUDA_LIBS, CUDA_HOME/CUDA_PATH, LD_LIBRARY_PATH,
     * /usr/local/cuda*, the driver's folders, the system library folder, then pip's nvidia
     * packages (site-packages/nvidia/STAR/lib) of the usual Python installs and virtual
     * environments. Folders named by the environment are kept even when absent (the message then
     * says so); globbed folders only when they exist.
     */
    public static LibrarySearch standard(Map<String, String> env, Path userHome) {
        String target = isArm() ? "sbsa-linux" : "x86_64-linux";
        String multiarch = isArm() ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
        List<Path> dirs = new ArrayList<>();
        pathList(env.get("DIFFUSION4J_CUDA_LIBS")).forEach(dirs::add);
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String home = env.get(var);
            if (home == null || home.isBlank()) continue;
            Path h = Path.of(home);
            dirs.add(h.resolve("targets/" + target + "/lib"));
            dirs.add(h.resolve("lib64"));
        }
        pathList(env.get("LD_LIBRARY_PATH")).forEach(dirs::add);
        int named = dirs.size(); // the folders above are the environment's choice
        List<Path> cudaRoots = new ArrayList<>(Glob.expand("/usr/local/cuda"));
        List<Path> versioned = new ArrayList<>(Glob.expand("/usr/local/cuda-*"));
        versioned.sort(Comparator.comparing((Path p) -> p.getFileName().toString(), Glob::compareVersions).reversed());
        cudaRoots.addAll(versioned);
        for (Path root : cudaRoots) {
            dirs.add(root.resolve("targets/" + target + "/lib"));
            dirs.add(root.resolve("lib64"));
        }
        for (String d : List.of("/usr/local/nvidia/lib64", "/usr/lib/" + multiarch, "/usr/lib64", "/usr/lib/wsl/lib")) {
            dirs.add(Path.of(d));
        }
        List<String> sitePackages = new ArrayList<>();
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String root = env.get(var);
            if (root != null && !root.isBlank()) sitePackages.add(root + "/lib/python3*/site-packages");
        }
        String home = userHome.toString();
        sitePackages.addAll(List.of(home + "/.local/lib/python3*/site-packages",
                "/usr/local/lib/python3*/site-packages", "/usr/local/lib/python3*/dist-packages",
                "/usr/lib/python3/dist-packages", "/opt/*/.venv/lib/python3*/site-packages",
                "/opt/conda/lib/python3*/site-packages"));
        for (String sp : sitePackages) dirs.addAll(Glob.expand(sp + "/nvidia/*/lib"));
        Set<Path> explicit = new LinkedHashSet<>();
        pathList(env.get("DIFFUSION4J_CUDA_LIBS")).forEach(explicit::add);
        // /usr/local/cuda is usually a link to /usr/local/cuda-X.Y: keep the first name of each folder.
        Set<Path> seen = new LinkedHashSet<>();
        List<Path> kept = new ArrayList<>();
        int pinned = 0;
        for (int i = 0; i < dirs.size(); i++) {
            Path d = dirs.get(i);
            if (!explicit.contains(d) && !Files.isDirectory(d)) continue;
            if (seen.add(realPath(d))) {
                kept.add(d);
                if (i < named) pinned++;
            }
        }
        return new LibrarySearch(kept, pinned);
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    private static List<Path> pathList(String value) {
        if (value == null || value.isBlank()) return List.of();
        List<Path> out = new ArrayList<>();
        for (String s : value.split(":")) if (!s.isBlank()) out.add(Path.of(s));
        return out;
    }

    private static boolean isArm() {
        String arch = System.getProperty("os.arch", "");
        return arch.equals("aarch64") || arch.equals("arm64");
    }
}
