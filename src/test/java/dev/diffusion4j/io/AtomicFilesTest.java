package dev.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path dir;

    @Test
    void writesNewAndReplacesExistingFiles() throws IOException {
        Path f = dir.resolve("config.json");
        AtomicFiles.writeString(f, "{\"v\": 1}");
        assertEquals("{\"v\": 1}", Files.readString(f));
        AtomicFiles.write(f, new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
        assertEquals(List.of(f), listDir());
    }

    @Test
    void streamedBodyMayCloseItsStream() throws IOException {
        Path f = dir.resolve("big.bin");
        AtomicFiles.write(f, out -> {
            for (int i = 0; i < 200_000; i++) out.write(i);
            out.close();
        });
        byte[] got = Files.readAllBytes(f);
        assertEquals(200_000, got.length);
        assertEquals((byte) 199_999, got[199_999]);
    }

    @Test
    void failureMidwayLeavesTheOldFileIntactAndNoTempFile() throws IOException {
        Path f = dir.resolve("model.safetensors");
        AtomicFiles.writeString(f, "old checkpoint");

        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[100_000]); // past the buffer, so bytes really reached the temp file
            // While the new content is half written, the final name still shows the old content.
            assertEquals("old checkpoint", Files.readString(f));
            throw new IOException("disk full (simulated)");
        }));
        assertEquals("disk full (simulated)", e.getMessage());
        assertEquals("old checkpoint", Files.readString(f));
        assertEquals(List.of(f), listDir());

        // An unchecked failure (a bug in the writer) is cleaned up the same way.
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, out -> {
            out.write(1);
            throw new IllegalStateException("boom");
        }));
        assertEquals("old checkpoint", Files.readString(f));
        assertEquals(List.of(f), listDir());
    }

    @Test
    void clearErrorWhenTheDirectoryIsMissing() {
        Path f = dir.resolve("no/such/dir/x.json");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> AtomicFiles.writeString(f, "x"));
        assertTrue(e.getMessage().contains("does not exist (create it first)"), e.getMessage());
    }

    @Test
    void refusesToReplaceADirectory() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(sub, "x"));
        assertTrue(e.getMessage().contains("a directory has this name"), e.getMessage());
        assertTrue(Files.isDirectory(sub));
    }

    private List<Path> listDir() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
