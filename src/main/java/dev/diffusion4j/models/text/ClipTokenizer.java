package dev.diffusion4j.models.text;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diffusion4j.engine.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CLIP's byte-level BPE tokenizer with the semantics of Hugging Face's CLIPTokenizer in transformers 5: text is
 * split at the special tokens spelled exactly, each other piece is cleaned and cut into words ({@link ClipPreTokenizer}),
 * each word's UTF-8 bytes become symbols ({@link ByteSymbols}) that BPE merges by rank; a token missing from the
 * vocabulary becomes the unknown token ("&lt;|endoftext|&gt;"). A sequence is BOS, the ids, EOS; padded sequences
 * are cut to {@link #maxLength()} (keeping BOS and EOS) and filled with the pad token, which is
 * "&lt;|endoftext|&gt;" by default (CLIPTokenizer's default; Stable Diffusion 2 uses "!").
 * Immutable and thread-safe.
 */
public final class ClipTokenizer {
    /** CLIP's text context, and the default padded length. */
    public static final int DEFAULT_MAX_LENGTH = 77;

    private final Map<String, Integer> vocab;
    private final Map<Integer, String> byId;
    private final Bpe bpe;
    private final BpeMerges merges;
    private final int bos, eos, unk, pad, maxLength;

    private ClipTokenizer(Map<String, Integer> vocab, BpeMerges merges, String padToken, int maxLength) {
        this.vocab = vocab;
        this.merges = merges;
        this.byId = new HashMap<>();
        vocab.forEach((k, v) -> byId.put(v, k));
        this.bpe = new Bpe(merges);
        this.bos = require(vocab, ClipPreTokenizer.START, "start");
        this.eos = require(vocab, ClipPreTokenizer.END, "end");
        this.unk = eos;
        this.pad = require(vocab, padToken, "pad");
        if (maxLength < 2) throw new IllegalArgumentException("max length must leave room for the start and end tokens, got " + maxLength);
        this.maxLength = maxLength;
    }

    private static int require(Map<String, Integer> vocab, String token, String what) {
        Integer id = vocab.get(token);
        if (id == null) throw new IllegalArgumentException("the vocabulary has no " + what + " token '" + token + "'");
        return id;
    }

    /** Loads vocab.json and merges.txt from a folder (a tokenizer folder of a Hugging Face model, or our own). */
    public static ClipTokenizer load(Path dir) throws IOException {
        return load(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
    }

    public static ClipTokenizer load(Path vocabJson, Path mergesTxt) throws IOException {
        return new ClipTokenizer(readVocab(vocabJson), BpeMerges.read(mergesTxt), ClipPreTokenizer.END, DEFAULT_MAX_LENGTH);
    }

    public static ClipTokenizer of(Map<String, Integer> vocab, BpeMerges merges) {
        return new ClipTokenizer(new LinkedHashMap<>(vocab), merges, ClipPreTokenizer.END, DEFAULT_MAX_LENGTH);
    }

    /** vocab.json: one JSON object of token to id; ids must be distinct and non-negative. */
    static Map<String, Integer> readVocab(Path file) throws IOException {
        LinkedHashMap<String, Integer> v;
        try {
            v = new ObjectMapper().readValue(Files.readAllBytes(file), new TypeReference<LinkedHashMap<String, Integer>>() {});
        } catch (JacksonException e) {
            throw new IOException(file + " is not a vocab.json (a JSON object of token to integer id): " + e.getOriginalMessage(), e);
        }
        HashMap<Integer, String> seen = new HashMap<>();
        for (var e : v.entrySet()) {
            if (e.getValue() == null || e.getValue() < 0) throw new IOException(file + ": token '" + e.getKey() + "' has no valid id");
            String other = seen.put(e.getValue(), e.getKey());
            if (other != null) throw new IOException(file + ": tokens '" + other + "' and '" + e.getKey() + "' share id " + e.getValue());
        }
        return v;
    }

    /** The same tokenizer padding and truncating to {@code length} tokens. */
    public ClipTokenizer withMaxLength(int length) {
        return new ClipTokenizer(vocab, merges, byId.get(pad), length);
    }

    /** The same tokenizer padding with {@code token} (which must be in the vocabulary). */
    public ClipTokenizer withPadToken(String token) {
        return new ClipTokenizer(vocab, merges, token, maxLength);
    }

    /** The BPE tokens of text, without start and end tokens. */
    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        int from = 0;
        while (from <= text.length()) {
            int s = text.indexOf(ClipPreTokenizer.START, from), e = text.indexOf(ClipPreTokenizer.END, from);
            int at = s < 0 ? e : e < 0 ? s : Math.min(s, e);
            String special = at < 0 ? null : at == s ? ClipPreTokenizer.START : ClipPreTokenizer.END;
            tokenizePlain(text.substring(from, at < 0 ? text.length() : at), out);
            if (special == null) break;
            out.add(special);
            from = at + special.length();
        }
        return out;
    }

    private void tokenizePlain(String text, List<String> out) {
        if (text.isEmpty()) return;
        for (String word : ClipPreTokenizer.words(ClipPreTokenizer.normalize(text))) out.addAll(bpe.encode(ByteSymbols.encode(word)));
    }

    /** Ids of text's tokens, without start and end tokens. */
    public int[] ids(String text) {
        return tokenize(text).stream().mapToInt(t -> vocab.getOrDefault(t, unk)).toArray();
    }

    /** BOS, text's ids, EOS: not truncated, not padded. */
    public int[] encode(String text) {
        int[] ids = ids(text);
        int[] out = new int[ids.length + 2];
        out[0] = bos;
        System.arraycopy(ids, 0, out, 1, ids.length);
        out[out.length - 1] = eos;
        return out;
    }

    /** BOS, text's ids cut to maxLength - 2, EOS, then pad tokens up to maxLength. */
    public int[] encodePadded(String text) {
        int[] ids = ids(text);
        int n = Math.min(ids.length, maxLength - 2);
        int[] out = new int[maxLength];
        Arrays.fill(out, pad);
        out[0] = bos;
        System.arraycopy(ids, 0, out, 1, n);
        out[n + 1] = eos;
        return out;
    }

    /** Padded ids of each prompt as an i64 tensor [N, maxLength] on the CPU. */
    public Tensor encodeBatch(List<String> prompts) {
        long[] flat = new long[prompts.size() * maxLength];
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = encodePadded(prompts.get(i));
            for (int j = 0; j < maxLength; j++) flat[i * maxLength + j] = ids[j];
        }
        return Tensor.ofLongs(flat, prompts.size(), maxLength);
    }

    /** Text of ids: tokens joined, bytes decoded (invalid UTF-8 replaced), end-of-word markers as spaces, trimmed. */
    public String decode(int[] ids) {
        StringBuilder symbols = new StringBuilder();
        for (int id : ids) {
            String t = byId.get(id);
            if (t == null) throw new IllegalArgumentException("id " + id + " is not in the vocabulary of " + vocab.size() + " tokens");
            symbols.append(t);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String s = symbols.toString().replace(Bpe.END_OF_WORD, " ");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int b = ByteSymbols.byteOf(c);
            if (b >= 0) bytes.write(b);
            else bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toString(StandardCharsets.UTF_8).strip();
    }

    public int vocabSize() { return vocab.size(); }
    public int maxLength() { return maxLength; }
    public int bosId() { return bos; }
    public int eosId() { return eos; }
    public int padId() { return pad; }
    /** The pad token as spelled in the vocabulary. */
    public String padToken() { return byId.get(pad); }
    /** The id of a token, or -1. */
    public int id(String token) { return vocab.getOrDefault(token, -1); }
}
