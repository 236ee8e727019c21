package dev.diffusion4j.interop.diffusers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.models.text.ClipTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenizer/ as CLIPTokenizer reads it, and read back padding as the run did (model_max_length, pad token). */
class ClipTokenizerFolderTest {
    @TempDir Path tmp;
    static final Path VOCAB = Path.of("data/captions/emoji-bpe-2048");

    @Test void writesWhatCLIPTokenizerReadsAndPadsAsTheRunDid() throws Exception {
        ClipTokenizer run = ClipTokenizer.load(VOCAB).withMaxLength(12);
        Path dir = tmp.resolve("tokenizer");
        ClipTokenizerFolder.write(dir, VOCAB, run);
        Map<String, Object> cfg = ConfigJson.readObject(dir.resolve(ClipTokenizerFolder.CONFIG));
        assertEquals(12, ((Number) cfg.get("model_max_length")).intValue());
        assertEquals("CLIPTokenizer", cfg.get("tokenizer_class"));
        assertEquals("<|startoftext|>", cfg.get("bos_token"));
        assertEquals("<|endoftext|>", cfg.get("pad_token"));
        assertEquals(Files.readString(VOCAB.resolve("merges.txt")), Files.readString(dir.resolve("merges.txt")));
        // read back over a tokenizer loaded the default way (77 tokens), it pads as the run did
        ClipTokenizer back = ClipTokenizerFolder.configured(dir, ClipTokenizer.load(dir));
        assertEquals(12, back.maxLength());
        assertArrayEquals(run.encodePadded("a red circle"), back.encodePadded("a red circle"));
        // a pad token other than the end token (Stable Diffusion 2 pads with "!") is read too
        Files.writeString(dir.resolve(ClipTokenizerFolder.CONFIG), "{\"model_max_length\": 1e30, \"pad_token\": {\"content\": \"!\"}}");
        ClipTokenizer sd2 = ClipTokenizerFolder.configured(dir, ClipTokenizer.load(dir));
        assertEquals(ClipTokenizer.DEFAULT_MAX_LENGTH, sd2.maxLength());   // "no limit": the loader's default stays
        assertEquals(sd2.id("!"), sd2.padId());
        // no tokenizer_config.json: unchanged
        Files.delete(dir.resolve(ClipTokenizerFolder.CONFIG));
        assertEquals(ClipTokenizer.DEFAULT_MAX_LENGTH, ClipTokenizerFolder.configured(dir, ClipTokenizer.load(dir)).maxLength());
    }
}
