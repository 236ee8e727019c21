package dev.diffusion4j.interop.diffusers;

import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.text.ClipTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A pipeline's tokenizer/ folder as transformers' CLIPTokenizer reads it: vocab.json, merges.txt (first line a
 * "#version" header, which CLIPTokenizer skips), tokenizer_config.json and special_tokens_map.json. model_max_length is
 * the length prompts are padded to: StableDiffusionPipeline pads every prompt to it and passes the whole padded
 * sequence's last hidden state to the U-Net, as our text encoder does with its max length.
 */
public final class ClipTokenizerFolder {
    public static final String CONFIG = "tokenizer_config.json";
    static final String START = "<|startoftext|>", END = "<|endoftext|>";

    private ClipTokenizerFolder() {}

    /** Writes the folder from a vocabulary folder (vocab.json, merges.txt) and the tokenizer that pads as the run does. */
    public static void write(Path dir, Path vocabDir, ClipTokenizer tokenizer) throws IOException {
        Files.createDirectories(dir);
        for (String f : new String[] {"vocab.json", "merges.txt"})
            Files.copy(vocabDir.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        String pad = tokenizer.padToken();
        Map<String, Object> special = new LinkedHashMap<>();
        special.put("bos_token", START);
        special.put("eos_token", END);
        special.put("unk_token", END);
        special.put("pad_token", pad);
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("tokenizer_class", "CLIPTokenizer");
        cfg.put("model_max_length", tokenizer.maxLength());
        cfg.putAll(special);
        cfg.put("add_prefix_space", false);
        cfg.put("do_lower_case", true);
        cfg.put("errors", "replace");
        cfg.put("clean_up_tokenization_spaces", true);
        AtomicFiles.writeString(dir.resolve(CONFIG), Json.writePretty(cfg) + "\n");
        AtomicFiles.writeString(dir.resolve("special_tokens_map.json"), Json.writePretty(special) + "\n");
    }

    /**
     * The tokenizer as a folder's tokenizer_config.json sets it up: padded to model_max_length (when it names a usable
     * length; transformers writes a huge number for "no limit") and with its pad_token; unchanged without the file.
     */
    public static ClipTokenizer configured(Path dir, ClipTokenizer tokenizer) {
        Path file = dir.resolve(CONFIG);
        if (!Files.isRegularFile(file)) return tokenizer;
        Map<String, Object> cfg = ConfigJson.readObject(file);
        ClipTokenizer t = tokenizer;
        Object pad = cfg.get("pad_token");
        if (pad instanceof Map<?, ?> m) pad = m.get("content");   // AddedToken form
        if (pad instanceof String p && tokenizer.id(p) >= 0) t = t.withPadToken(p);
        if (cfg.get("model_max_length") instanceof Number n && n.doubleValue() >= 2 && n.doubleValue() <= 1 << 20) t = t.withMaxLength(n.intValue());
        return t;
    }
}
