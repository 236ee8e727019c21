package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cuBLASLt choices file: what one process keeps, the next reads; the first choice for a key wins; a torn last line
 * costs only that plan, and the next line written after it starts a line of its own.
 */
class GemmChoicesTest {
    @Test
    void aLaterProcessReadsTheChoices(@TempDir Path dir) throws Exception {
        Path file = GemmChoices.file(dir.resolve("kernels"), "NVIDIA H100 80GB HBM3", 90, 130100);
        assertEquals("cublaslt-NVIDIA-H100-80GB-HBM3-sm90-130100.tsv", file.getFileName().toString());
        assertEquals("cudnn-attention-NVIDIA-H100-80GB-HBM3-sm90-91900.tsv",   // cuDNN's attention plans keep theirs apart
                GemmChoices.file(dir, "cudnn-attention", "NVIDIA H100 80GB HBM3", 90, 91900).getFileName().toString());
        GemmChoices first = new GemmChoices(file);
        assertEquals(-1, first.get("Key[m=1]"));
        assertEquals(3, first.keep("Key[m=1]", 3));
        assertEquals(0, first.keep("Key[m=2, epilogue=BIAS]", 0));
        assertEquals(3, first.keep("Key[m=1]", 5));   // a second timing (another rank) takes the first choice
        assertEquals(2, Files.readAllLines(file).size());
        Files.writeString(file, "2\tKey[m=3]\n5", StandardOpenOption.APPEND);   // a line cut short
        GemmChoices second = new GemmChoices(file);
        assertEquals(3, second.get("Key[m=1]"));
        assertEquals(0, second.get("Key[m=2, epilogue=BIAS]"));
        assertEquals(2, second.get("Key[m=3]"));
        assertEquals(-1, second.get("5"));
        assertEquals(1, second.keep("Key[m=4]", 1));   // written on a line of its own after the torn one
        assertEquals(1, new GemmChoices(file).get("Key[m=4]"));
        assertThrows(IllegalArgumentException.class, () -> second.keep("a\tb", 1));
    }

    @Test
    void theFirstLineForAKeyWins(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.tsv");
        Files.writeString(file, "4\tKey[m=1]\n6\tKey[m=1]\n");   // two processes timed the same key at once
        assertEquals(4, new GemmChoices(file).get("Key[m=1]"));
    }

    @Test
    void oneInstancePerFileInAProcess(@TempDir Path dir) {
        Path file = dir.resolve("d.tsv");
        assertSame(GemmChoices.of(file), GemmChoices.of(file));
    }

    @Test
    void anUnwritableDirectoryOnlyCostsTheTiming(@TempDir Path dir) throws Exception {
        Path blocker = dir.resolve("file");
        Files.writeString(blocker, "not a directory");
        GemmChoices c = new GemmChoices(blocker.resolve("kernels").resolve("x.tsv"));
        assertEquals(1, c.keep("Key[m=1]", 1));
        assertEquals(1, c.get("Key[m=1]"));   // kept in memory for this process
    }
}
