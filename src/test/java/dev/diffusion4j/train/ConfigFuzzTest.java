package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diffusion4j.io.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated config.json and state.json files (truncations, bit flips, values of other types, deleted, duplicated and
 * renamed keys; fixed seed, a fixed number of cases that takes a few seconds): every outcome is a valid record or one
 * ConfigException that names the file, never a NullPointerException, ClassCastException or the like.
 */
class ConfigFuzzTest {
    @TempDir Path tmp;

    private static final String[] VALUES = {"\"abc\"", "\"\"", "1.5", "-1", "0", "true", "null", "[]", "{}", "1e999", "-1e999",
        "99999999999999999999", "2147483648", "[1, \"x\"]", "{\"a\": 1}", "[[1]]", "\"\\ud800\"", "\"fp32\"", "3.0", "1E2"};
    private static final Pattern VALUE = Pattern.compile(":\\s*(\"[^\"]*\"|-?[0-9.eE+-]+|true|false|null|\\[[^\\[\\]{}]*\\])");
    private static final Pattern KEY = Pattern.compile("\"([a-z_0-9.]+)\":");

    @Test
    void configReaderGivesAValidConfigOrOneClearError() throws IOException {
        fuzz(ConfigFilesTest.resource("config.json"), 1200, 11, TrainConfig::read);
    }

    @Test
    void stateReaderGivesAValidStateOrOneClearError() throws IOException {
        fuzz(ConfigFilesTest.resource("state.json"), 600, 12, TrainState::read);
    }

    private void fuzz(String original, int cases, long seed, Function<Path, Object> reader) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        Path file = tmp.resolve("fuzzed.json");
        int accepted = 0;
        for (int i = 0; i < cases; i++) {
            byte[] input = original.getBytes(StandardCharsets.UTF_8);
            int mutations = 1 + rnd.nextInt(3);
            for (int m = 0; m < mutations; m++) input = mutate(input, rnd);
            Files.write(file, input);
            try {
                assertNotNull(reader.apply(file));
                accepted++;
            } catch (ConfigException e) {
                if (!e.getMessage().startsWith(file.toString()))
                    fail("message does not name the file: " + e.getMessage() + "\nfor input:\n" + show(input));
                Throwable cause = e.getCause();
                if (cause instanceof NullPointerException || cause instanceof ClassCastException || cause instanceof IndexOutOfBoundsException
                        || cause instanceof ArithmeticException)
                    fail("a bug surfaced as " + cause + "\nfor input:\n" + show(input), cause);
            } catch (RuntimeException e) {
                fail("unexpected " + e + "\nfor input:\n" + show(input), e);
            }
        }
        // the mutations must leave some inputs valid (a value swapped for one of the same type), or the test says little
        if (accepted == 0 || accepted == cases) fail(accepted + " of " + cases + " mutated inputs were accepted");
    }

    private static byte[] mutate(byte[] in, SplittableRandom rnd) {
        String text = new String(in, StandardCharsets.UTF_8);
        return switch (rnd.nextInt(6)) {
            case 0 -> java.util.Arrays.copyOf(in, rnd.nextInt(in.length + 1));                    // truncation
            case 1 -> {                                                                         // bit flip
                byte[] out = in.clone();
                if (out.length > 0) out[rnd.nextInt(out.length)] ^= (byte) (1 << rnd.nextInt(8));
                yield out;
            }
            case 2 -> replaceOne(text, VALUE, 1, VALUES[rnd.nextInt(VALUES.length)], rnd);      // a value of another type
            case 3 -> replaceOne(text, KEY, 1, renamed(rnd), rnd);                               // a mistyped key
            default -> {                                                                        // a line deleted or doubled
                String[] lines = text.split("\n", -1);
                int at = rnd.nextInt(lines.length);
                List<String> out = new ArrayList<>(List.of(lines));
                if (rnd.nextBoolean()) out.remove(at);
                else out.add(at, lines[at]);
                yield String.join("\n", out).getBytes(StandardCharsets.UTF_8);
            }
        };
    }

    private static String renamed(SplittableRandom rnd) {
        String[] keys = {"stpes", "model", "lr", "seed", "sample", "steps", "x", "", "format", "dropout_offsets"};
        return keys[rnd.nextInt(keys.length)];
    }

    /** Replaces group {@code group} of one random match of {@code p} in text. */
    private static byte[] replaceOne(String text, Pattern p, int group, String replacement, SplittableRandom rnd) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = p.matcher(text);
        while (m.find()) spans.add(new int[] {m.start(group), m.end(group)});
        if (spans.isEmpty()) return text.getBytes(StandardCharsets.UTF_8);
        int[] s = spans.get(rnd.nextInt(spans.size()));
        return (text.substring(0, s[0]) + replacement + text.substring(s[1])).getBytes(StandardCharsets.UTF_8);
    }

    private static String show(byte[] input) {
        return new String(input, StandardCharsets.UTF_8);
    }
}
