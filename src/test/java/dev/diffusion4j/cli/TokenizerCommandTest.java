package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerCommandTest {
    @Test
    void learnsFromMetadataJsonlAndEncodesWithTheResult(@TempDir Path dir) throws IOException {
        Path meta = dir.resolve("metadata.jsonl");
        Files.writeString(meta, "{\"file_name\": \"a.png\", \"text\": \"hug hug hug\"}\n\n{\"file_name\": \"b.png\", \"text\": \"pug pun bun\"}\n");
        CliRun r = CliRun.of("tokenizer", "learn", "--captions", meta.toString(), "--vocab-size", "600", "--out", dir.resolve("v").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("learned 3 merges from 2 captions: 517 tokens"), r.out());
        assertTrue(Files.readString(dir.resolve("v/merges.txt")).startsWith("#version: 0.2\nu g</w>\n"));
        CliRun e = CliRun.of("tokenizer", "encode", "--vocab", dir.resolve("v").toString(), "Hug!");
        assertEquals(0, e.status(), e.err());
        assertEquals("[515, 513, 256, 516] [hug</w>, !</w>]", e.out().strip());
    }

    @Test
    void badOptionsAndMissingFilesEndInOneLine(@TempDir Path dir) {
        CliRun small = CliRun.of("tokenizer", "learn", "--captions", "x.txt", "--vocab-size", "100", "--out", dir.toString());
        assertEquals(2, small.status());
        assertTrue(small.err().contains("--vocab-size must be at least 514"), small.err());
        CliRun missing = CliRun.of("tokenizer", "learn", "--captions", dir.resolve("none.txt").toString(), "--out", dir.toString());
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("--captions: no file"), missing.err());
        CliRun noVocab = CliRun.of("tokenizer", "encode", "--vocab", dir.toString(), "hi");
        assertEquals(1, noVocab.status());
        assertTrue(noVocab.err().contains("vocab.json not found"), noVocab.err());
    }
}
