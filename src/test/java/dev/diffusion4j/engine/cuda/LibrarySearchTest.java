package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibrarySearchTest {
    @TempDir Path tmp;

    private static Path touch(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(name), "not really a library");
    }

    @Test
    void specAcceptsOnlyItsMajorVersions() {
        assertTrue(CudaLibraries.DRIVER.matches("libcuda.so.1"));
        assertFalse(CudaLibraries.DRIVER.matches("libcuda.so"));
        assertFalse(CudaLibraries.DRIVER.matches("libcuda.so.580.159.04"));
        assertTrue(CudaLibraries.NVRTC.matches("libnvrtc.so.13.0.88"));
        assertFalse(CudaLibraries.NVRTC.matches("libnvrtc.so.11.2"));
        assertFalse(CudaLibraries.NVRTC.matches("libnvrtc.so.13.x"));
        assertFalse(CudaLibraries.NVRTC.matches("libnvrtc-builtins.so.13.0"));
        assertEquals(List.of("libnvrtc.so.13", "libnvrtc.so.12"), CudaLibraries.NVRTC.sonames());
    }

    @Test
    void picksTheBestMajorThenTheSonameLink() throws IOException {
        Path dir = tmp.resolve("lib");
        touch(dir, "libnvrtc.so.12");
        touch(dir, "libnvrtc.so.13.0.88");
        Path soname = touch(dir, "libnvrtc.so.13");
        touch(dir, "libnvrtc-builtins.so.13.0");
        touch(dir, "libnvrtc.so");
        assertEquals(soname, new LibrarySearch(List.of(dir)).find(CudaLibraries.NVRTC).orElseThrow());
    }

    @Test
    void earlierFolderWinsEvenWithAnOlderVersion() throws IOException {
        Path first = tmp.resolve("first");
        Path second = tmp.resolve("second");
        Path old = touch(first, "libcublas.so.12");
        touch(second, "libcublas.so.13");
        assertEquals(old, new LibrarySearch(List.of(first, second)).find(CudaLibraries.CUBLAS).orElseThrow());
    }

    @Test
    void missingLibraryMessageListsEveryFolderAndTheFix() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path absent = tmp.resolve("absent");
        LibrarySearch search = new LibrarySearch(List.of(empty, absent));
        assertTrue(search.find(CudaLibraries.CUDNN).isEmpty());
        String msg = search.notFoundMessage(CudaLibraries.CUDNN);
        assertTrue(msg.contains("cuDNN (libcudnn.so.9)"), msg);
        assertTrue(msg.contains("  " + empty), msg);
        assertTrue(msg.contains(absent + "  (does not exist)"), msg);
        assertTrue(msg.contains("system loader"), msg);
        assertTrue(msg.contains("DIFFUSION4J_CUDA_LIBS"), msg);
    }

    @Test
    void standardOrderPutsExplicitFoldersFirstAndFindsPipPackages() throws IOException {
        Path explicit = tmp.resolve("mine");
        Path cudaHome = tmp.resolve("cuda");
        Files.createDirectories(cudaHome.resolve("lib64"));
        Path venv = tmp.resolve("venv");
        Path pipLib = Files.createDirectories(venv.resolve("lib/python3.12/site-packages/nvidia/cublas/lib"));
        LibrarySearch s = LibrarySearch.standard(Map.of("DIFFUSION4J_CUDA_LIBS", explicit.toString(),
                "CUDA_HOME", cudaHome.toString(), "VIRTUAL_ENV", venv.toString()), tmp.resolve("home"));
        List<Path> dirs = s.directories();
        assertEquals(explicit, dirs.get(0), "an explicit folder is listed even when absent");
        assertEquals(cudaHome.resolve("lib64"), dirs.get(1));
        assertTrue(dirs.contains(pipLib), dirs.toString());
        assertTrue(dirs.indexOf(pipLib) > dirs.indexOf(cudaHome.resolve("lib64")));
        assertFalse(dirs.contains(cudaHome.resolve("targets/x86_64-linux/lib")), "absent toolkit folders are dropped");
    }

    @Test
    void newestCudnnWinsPastTheFoldersTheEnvironmentNames() throws IOException {
        Path system = tmp.resolve("usr/lib/x86_64-linux-gnu");
        touch(system, "libcudnn.so.9");
        touch(system, "libcudnn.so.9.14.0");
        Path site = tmp.resolve("venv/lib/python3.12/site-packages");
        Path pip = site.resolve("nvidia/cudnn/lib");
        Path pipCudnn = touch(pip, "libcudnn.so.9");
        Files.createDirectories(site.resolve("nvidia_cudnn_cu13-9.19.0.56.dist-info"));
        Files.createDirectories(site.resolve("nvidia_cublas-13.1.0.3.dist-info")); // another package's: not cuDNN's release
        Path unknown = tmp.resolve("opt/cudnn/lib");
        touch(unknown, "libcudnn.so.9");

        assertEquals(List.of(9, 14, 0), boxed(LibrarySearch.release(system, CudaLibraries.CUDNN)));
        assertEquals(List.of(9, 19, 0, 56), boxed(LibrarySearch.release(pip, CudaLibraries.CUDNN)));
        assertEquals(List.of(9), boxed(LibrarySearch.release(unknown, CudaLibraries.CUDNN)));

        assertEquals(pipCudnn, new LibrarySearch(List.of(unknown, system, pip), 0).findNewest(CudaLibraries.CUDNN).orElseThrow());
        assertEquals(system.resolve("libcudnn.so.9"),
                new LibrarySearch(List.of(unknown, system), 0).findNewest(CudaLibraries.CUDNN).orElseThrow(), "a known release beats an unknown one");
        assertEquals(unknown.resolve("libcudnn.so.9"),
                new LibrarySearch(List.of(unknown, system, pip), 1).findNewest(CudaLibraries.CUDNN).orElseThrow(), "a named folder keeps its place");
        assertEquals(system.resolve("libcudnn.so.9"),
                new LibrarySearch(List.of(system, pip)).find(CudaLibraries.CUDNN).orElseThrow(), "find keeps the search order");

        // standard(): DIFFUSION4J_CUDA_LIBS is named, so it is pinned even though the venv's copy is newer
        LibrarySearch named = LibrarySearch.standard(Map.of("DIFFUSION4J_CUDA_LIBS", system.toString(),
                "VIRTUAL_ENV", tmp.resolve("venv").toString()), tmp.resolve("home"));
        assertEquals(system.resolve("libcudnn.so.9"), named.findNewest(CudaLibraries.CUDNN).orElseThrow());
        LibrarySearch unnamed = LibrarySearch.standard(Map.of("VIRTUAL_ENV", tmp.resolve("venv").toString()), tmp.resolve("home"));
        assertEquals(pipCudnn, unnamed.findNewest(CudaLibraries.CUDNN).orElseThrow());
    }

    private static List<Integer> boxed(int[] v) {
        return java.util.Arrays.stream(v).boxed().toList();
    }

    @Test
    void versionsSortNumerically() {
        assertTrue(Glob.compareVersions("cuda-12.10", "cuda-12.9") > 0);
        assertTrue(Glob.compareVersions("cuda-13.0", "cuda-12.9") > 0);
    }

    @Test
    void availabilityNeverThrowsAndExplainsItself() {
        boolean available = CudaLibraries.isAvailable();
        if (!available) {
            String why = CudaLibraries.unavailableReason();
            assertTrue(why != null && !why.isBlank());
            System.out.println("CUDA not available here: " + why.lines().findFirst().orElse(""));
        }
    }
}
