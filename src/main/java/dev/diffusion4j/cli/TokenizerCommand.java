package dev.diffusion4j.cli;

import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.text.BpeLearner;
import dev.diffusion4j.models.text.ClipTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code diffuse tokenizer}: learn a CLIP-format BPE vocabulary from captions, or show how text tokenizes. */
@Command(name = "tokenizer", description = "Learn a CLIP-format BPE vocabulary from captions, or tokenize text with one.",
        subcommands = {TokenizerCommand.Learn.class, TokenizerCommand.Encode.class})
public final class TokenizerCommand implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    @Command(name = "learn", description = {"Learn vocab.json and merges.txt (CLIP's format, read by CLIPTokenizer) from a caption corpus.",
            "Example: diffuse tokenizer learn --captions data/captions/emoji-google-16.0.0.txt --vocab-size 2048 --out runs/vocab"})
    static final class Learn implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Option(names = "--captions", paramLabel = "FILE", required = true,
                description = "Captions: a text file (one caption a line) or an image folder's metadata.jsonl (its \"text\" fields).")
        Path captions;

        @Option(names = "--vocab-size", paramLabel = "N", defaultValue = "2048",
                description = "Most tokens in the vocabulary, at least 514 (512 byte symbols + 2 special tokens); CLIP's is 49408. Default: ${DEFAULT-VALUE}.")
        int vocabSize;

        @Option(names = "--min-frequency", paramLabel = "N", defaultValue = "2",
                description = "Stop merging when the most frequent pair occurs fewer times. Default: ${DEFAULT-VALUE}.")
        int minFrequency;

        @Option(names = "--out", paramLabel = "DIR", required = true, description = "Folder to write vocab.json and merges.txt to.")
        Path out;

        @Override public Integer call() throws IOException {
            if (vocabSize < BpeLearner.MIN_VOCAB)
                throw new ParameterException(spec.commandLine(), "--vocab-size must be at least " + BpeLearner.MIN_VOCAB + ", got " + vocabSize);
            if (minFrequency < 1) throw new ParameterException(spec.commandLine(), "--min-frequency must be at least 1, got " + minFrequency);
            if (!Files.isRegularFile(captions)) throw new IllegalArgumentException("--captions: no file " + captions);
            List<String> texts = readCaptions(captions);
            if (texts.isEmpty()) throw new IllegalArgumentException(captions + " holds no captions");
            BpeLearner.Vocabulary v;
            try (ProgressBar bar = new ProgressBar(System.err, "learn BPE", vocabSize - BpeLearner.MIN_VOCAB, "merges")) {
                v = BpeLearner.learn(texts, vocabSize, minFrequency, n -> bar.step(1));
            }
            v.write(out);
            PrintWriter w = spec.commandLine().getOut();
            w.println("learned " + v.merges().size() + " merges from " + texts.size() + " captions: " + v.vocab().size() + " tokens in "
                    + out.resolve("vocab.json") + " and " + out.resolve("merges.txt"));
            if (v.vocab().size() < vocabSize) w.println("(fewer than " + vocabSize + ": no pair occurs " + minFrequency + " times any more)");
            w.flush();
            return 0;
        }
    }

    @Command(name = "encode", description = {"Print the ids and tokens of text, as CLIPTokenizer would give them.",
            "Example: diffuse tokenizer encode --vocab runs/vocab \"grinning face, smileys and emotion\""})
    static final class Encode implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Option(names = "--vocab", paramLabel = "DIR", required = true, description = "Folder with vocab.json and merges.txt.")
        Path vocab;

        @Parameters(paramLabel = "TEXT", arity = "1..*", description = "Texts to tokenize, one line of output each.")
        List<String> texts;

        @Override public Integer call() throws IOException {
            for (String f : new String[] {"vocab.json", "merges.txt"})
                if (!Files.isRegularFile(vocab.resolve(f))) throw new IllegalArgumentException("--vocab: " + vocab.resolve(f) + " not found");
            ClipTokenizer t = ClipTokenizer.load(vocab);
            PrintWriter w = spec.commandLine().getOut();
            for (String text : texts) w.println(Arrays.toString(t.encode(text)) + " " + t.tokenize(text));
            w.flush();
            return 0;
        }
    }

    /** One caption a line, or the "text" of each line of a metadata.jsonl; blank lines are skipped. */
    static List<String> readCaptions(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        boolean jsonl = file.getFileName().toString().endsWith(".jsonl");
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank()) continue;
            if (!jsonl) { out.add(line); continue; }
            Map<String, Object> row;
            try {
                row = Json.parseObject(line);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + " line " + n + " is not a JSON object: " + e.getMessage());
            }
            if (!(row.get("text") instanceof String s)) throw new IllegalArgumentException(file + " line " + n + " has no \"text\" string");
            out.add(s);
        }
        return out;
    }
}
