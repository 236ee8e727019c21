package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cuBLASLt choices file: what one process keeps, the next reads; a torn last line costs only that plan. */
class GemmChoicesTest {
    @Test
    void aLaterProcessReadsTheChoices(@TempDir Path dir) throws Exception {
        Path file = GemmChoices.file(dir.resolve("kernels"), "NVIDIA H100 80GB HBM3", 90, 130100);
        assertEquals("cublaslt-NVIDIA-H100-80GB-HBM3-sm90-130100.tsv", file.getFileName().toString());
        GemmChoices first = new GemmChoices(file);
        assertEquals(-1, first.get("Key[m=1]"));
        first.put("Key[m=1]", 3);
        first.put("Key[m=2, epilogue=BIAS]", 0);
        first.put("Key[m=1]", 3);   // unchanged: not written twice
        assertEquals(2, Files.readAllLines(file).size());
        Files.writeString(file, "2\tKey[m=3]\n5", java.nio.file.StandardOpenOption.APPEND);   // a line cut short
        GemmChoices second = new GemmChoices(file);
        assertEquals(3, second.get("Key[m=1]"));
        assertEquals(0, second.get("Key[m=2, epilogue=BIAS]"));
        assertEquals(2, second.get("Key[m=3]"));
        assertEquals(-1, second.get("5"));
        assertThrows(IllegalArgumentException.class, () -> second.put("a\tb", 1));
    }

    @Test
    void anUnwritableDirectoryOnlyCostsTheTiming(@TempDir Path dir) throws Exception {
        Path blocker = dir.resolve("file");
        Files.writeString(blocker, "not a directory");
        GemmChoices c = new GemmChoices(blocker.resolve("kernels").resolve("x.tsv"));
        c.put("Key[m=1]", 1);
        assertEquals(1, c.get("Key[m=1]"));   // kept in memory for this process
    }
}
