package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config.json and state.json read strictly: run folders written by earlier versions load; every bad key or value ends
 * in one ConfigException naming the file and the key; a mistyped key never becomes a default.
 */
class ConfigFilesTest {
    @TempDir Path tmp;

    /** config.json and state.json exactly as main wrote them before configs moved to Jackson (a tiny 2-step run). */
    static String resource(String name) throws IOException {
        try (InputStream in = ConfigFilesTest.class.getResourceAsStream("main-run/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Path write(String name, String text) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void runFoldersWrittenByEarlierVersionsLoadAndWriteBackUnchanged() throws IOException {
        String config = resource("config.json");
        TrainConfig cfg = TrainConfig.read(write("config.json", config));
        assertEquals("shapes:64", cfg.data());
        assertEquals(5, cfg.model().numClasses());
        assertEquals(8, cfg.model().resolution());
        assertEquals("min-snr", cfg.diffusion().weighting());
        assertEquals(0.001, cfg.optim().lr());
        assertEquals(Precision.FP32, cfg.precision());
        assertEquals(2, cfg.sample().steps());
        Path again = tmp.resolve("again.json");
        cfg.write(again);
        // the one addition: the model section names its family, which configs from before DiT leave out (a U-Net)
        assertEquals(config.replace("\"model\": {\n", "\"model\": {\n    \"arch\": \"unet\",\n"), Files.readString(again),
                "the same config is written as before, key for key, plus the model's arch");

        String state = resource("state.json");
        TrainState st = TrainState.read(write("state.json", state));
        assertEquals(2, st.step());
        assertEquals(394, st.generatorOffset());
        assertEquals(11, st.dropoutOffsets().size());
        assertEquals(8, st.imagesSeen());
        Path stateAgain = tmp.resolve("state-again.json");
        st.write(stateAgain);
        assertEquals(state, Files.readString(stateAgain));
    }

    @Test
    void keysOlderVersionsDidNotWriteTakeTheirDefaults() throws IOException {
        String config = resource("config.json")
                .replace("  \"precision\": \"fp32\",\n", "")
                .replace("    \"grad_accum\": 1,\n", "")
                .replace("    \"offset_noise\": 0.0\n", "    \"gamma\": 5.0\n").replaceFirst("    \"gamma\": 5.0,\n", "")
                .replaceAll("(?s),\n  \"sample\": \\{.*?\n  }", "");
        assertTrue(!config.contains("\"sample\"") && !config.contains("precision"), config);
        TrainConfig cfg = TrainConfig.read(write("old.json", config));
        assertEquals(Precision.FP32, cfg.precision());
        assertEquals(1, cfg.optim().gradAccum());
        assertEquals(0.0, cfg.diffusion().offsetNoise());
        assertEquals(SampleConfig.defaults(), cfg.sample());

        String state = resource("state.json").replaceAll("(?s)\"dropout_offsets\": \\{.*?},\n  ", "")
                .replace(",\n  \"images_seen\": 8,\n  \"train_seconds\": 2.258181063", "");
        TrainState st = TrainState.read(write("old-state.json", state));
        assertEquals(Map.of(), st.dropoutOffsets());
        assertEquals(0, st.imagesSeen());
        assertEquals(0.0, st.trainSeconds());
    }

    @Test
    void declaredDefaultsAreTheLibraryDefaults() {
        assertEquals(new DiffusionConfig("cosine", 1000, false, "eps", "fixed-small", "simple", "l2", "min-snr", 5.0, "uniform", 0.0),
                DiffusionConfig.defaults());
        assertEquals(new OptimConfig(32, 1, 1e-3, 100, "cosine", 0.0, 0.9, 0.999, 1.0, 0.995, true), OptimConfig.defaults());
        assertEquals(new SampleConfig("ddim", 25, 0.0, 64, 1234, true, SampleConfig.DEFAULT_GUIDANCE, SampleConfig.AUTO_SCALE),
                SampleConfig.defaults());
    }

    @Test
    void wrongTypesNameTheFileTheKeyAndWhatWasFound() throws IOException {
        assertConfigError("\"base_channels\": 32", "\"base_channels\": \"abc\"", "model.base_channels: expected an integer, got \"abc\"");
        assertConfigError("\"base_channels\": 32", "\"base_channels\": 32.5", "model.base_channels: expected an integer, got 32.5");
        assertConfigError("\"base_channels\": 32", "\"base_channels\": null", "model.base_channels: expected an integer, got null");
        assertConfigError("\"channel_mult\": [1, 2, 2]", "\"channel_mult\": [1, \"2\", 2]", "model.channel_mult[1]: expected an integer, got \"2\"");
        assertConfigError("\"channel_mult\": [1, 2, 2]", "\"channel_mult\": 3", "model.channel_mult: expected an array, got 3");
        assertConfigError("\"flip\": true", "\"flip\": \"true\"", "flip: expected true or false, got \"true\"");
        assertConfigError("\"flip\": true", "\"flip\": 1", "flip: expected true or false, got 1");
        assertConfigError("\"lr\": 0.001", "\"lr\": \"0.001\"", "optim.lr: expected a number, got \"0.001\"");
        assertConfigError("\"sampler\": \"ddim\"", "\"sampler\": 5", "sample.sampler: expected a string, got 5");
        assertConfigError("\"sampler\": \"ddim\"", "\"sampler\": null", "sample.sampler: expected a string, got null");
        assertConfigError("\"precision\": \"fp32\"", "\"precision\": \"fp16\"", "precision: expected one of fp32, tf32, bf16, got \"fp16\"");
        assertConfigError("\"optim\": {", "\"optim\": [], \"unused\": {", "unknown key 'unused'");
        assertConfigError("\"steps\": 2,", "\"steps\": 3000000000000000000000,", "steps: expected an integer");
        assertConfigError("\"steps\": 2,", "\"steps\": 1e999,", "out of the double range");
        // a value the record itself refuses: its own message, under the key of the section
        assertConfigError("\"sampler\": \"ddim\"", "\"sampler\": \"ddimm\"", "sample: unknown sampler 'ddimm'");
        assertConfigError("\"steps\": 2,", "\"steps\": 0,", "training steps must be >= 1, got 0");
        assertConfigError("\"resolution\": 8", "\"resolution\": 0", "model: U-Net sizes must be positive: in_channels 3, base_channels 32, num_res_blocks 1, resolution 0");
        assertConfigError("\"num_heads\": 1", "\"num_heads\": 0", "model: attention needs head_channels >= 0 and num_heads >= 1, got 0 and 0");
        assertConfigError("\"channel_mult\": [1, 2, 2]", "\"channel_mult\": []", "model: channel_mult needs one or more positive multipliers, got []");
        assertConfigError("\"dropout\": 0.0", "\"dropout\": 1.5", "model: dropout must be in [0, 1), got 1.5");
    }

    @Test
    void anIntegerIsAValidNumber() throws IOException {
        TrainConfig cfg = TrainConfig.read(write("c.json", resource("config.json").replace("\"lr\": 0.001", "\"lr\": 1")));
        assertEquals(1.0, cfg.optim().lr());
    }

    @Test
    void unknownKeysAreRefusedNeverReadAsDefaults() throws IOException {
        // each mistyped key, if ignored, would silently train with a default instead of the value written
        assertConfigError("\"steps\": 2,", "\"stpes\": 2,", "unknown key 'stpes'; known keys: data, flip,");
        assertConfigError("\"ema_decay\": 0.995", "\"ema_deacy\": 0.995", "optim: unknown key 'ema_deacy'; known keys: batch_size,");
        assertConfigError("\"guidance\": 3.0", "\"guidance_scale\": 3.0", "sample: unknown key 'guidance_scale'");
        assertConfigError("\"base_channels\": 32", "\"base_chanels\": 32", "model: unknown key 'base_chanels'");
        assertConfigError("\"flip\": true", "\"flip\": true, \"extra\": {\"a\": 1}", "unknown key 'extra'");
    }

    @Test
    void duplicateKeysAndSyntaxErrorsNameTheFileAndLine() throws IOException {
        ConfigException e = configError("\"steps\": 2,", "\"steps\": 2, \"steps\": 3,");
        assertTrue(e.getMessage().contains("line 7") && e.getMessage().contains("Duplicate field 'steps'"), e.getMessage());
        e = configError("\"lr\": 0.001,", "\"lr\": 0.001");
        assertTrue(e.getMessage().contains("JSON error at line 49"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> TrainConfig.read(write("config.json", "[1, 2]")));
        assertEquals(tmp.resolve("config.json") + ": expected a JSON object, found an array of 2 elements", e.getMessage());
        e = assertThrows(ConfigException.class, () -> TrainConfig.read(write("config.json", "")));
        assertTrue(e.getMessage().startsWith(tmp.resolve("config.json") + ": JSON error at line 1"), e.getMessage());
    }

    @Test
    void missingSectionsAndKeysAreNamed() throws IOException {
        String config = resource("config.json");
        String noModel = config.replaceAll("(?s)  \"model\": \\{.*?\n  },\n", "");
        Path f = write("config.json", noModel);
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.read(f));
        assertEquals(f + " has no 'model' section", e.getMessage());
        assertConfigError("    \"resolution\": 8,\n", "", "model: missing key 'resolution'");
        assertConfigError("  \"data\": \"shapes:64\",\n", "", "missing key 'data'");
        assertConfigError("  \"format\": \"diffusion4j-run/1\",\n", "", "not a diffusion4j run config (format missing");
        assertConfigError("\"diffusion4j-run/1\"", "\"diffusion4j-run/2\"", "not a diffusion4j run config (format 'diffusion4j-run/2'");
        Path state = write("state.json", resource("state.json").replace("  \"loader_position\": 2,\n", ""));
        e = assertThrows(ConfigException.class, () -> TrainState.read(state));
        assertEquals(state + ": missing key 'loader_position'", e.getMessage());
    }

    @Test
    void stateJsonWithWrongTypesIsOneClearError() throws IOException {
        String state = resource("state.json");
        assertStateError(state.replace("\"step\": 2", "\"step\": \"2\""), "step: expected an integer, got \"2\"");
        assertStateError(state.replace("\"down.0.0.drop\": 0", "\"down.0.0.drop\": null"), "expected an integer, got null");
        assertStateError(state.replace("\"dropout_offsets\": {", "\"dropout_offsets\": {\"x\": [1],"), "expected an integer, got an array");
        assertStateError(state.replace("\"step\": 2", "\"step\": -2"), "must be >= 0");
        assertStateError(state.replace("\"step\": 2", "\"setp\": 2"), "unknown key 'setp'");
    }

    @Test
    void filesOverTheSizeCapAreRefusedBeforeParsing() throws IOException {
        Path big = tmp.resolve("config.json");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(ConfigJson.MAX_BYTES + 1L);  // sparse: costs no disk
        }
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.read(big));
        assertEquals(big + ": is larger than 16 MiB, far more than any config; not a config file?", e.getMessage());
    }

    @Test
    void runDirAndFromJsonReadTheSameWay() throws IOException {
        Path run = tmp.resolve("run");
        Files.createDirectories(run);
        Files.writeString(run.resolve("config.json"), resource("config.json").replace("\"steps\": 2,", "\"stpes\": 2,"));
        ConfigException e = assertThrows(ConfigException.class, () -> RunDir.open(run).config());
        assertTrue(e.getMessage().startsWith(run.resolve("config.json") + ": unknown key 'stpes'"), e.getMessage());

        Map<String, Object> m = TrainConfig.read(write("good.json", resource("config.json"))).toJson();
        m.put("flip", "yes");
        e = assertThrows(ConfigException.class, () -> TrainConfig.fromJson(m));
        assertEquals("run config: flip: expected true or false, got \"yes\"", e.getMessage());
    }

    private ConfigException configError(String find, String replace) throws IOException {
        String config = resource("config.json");
        assertTrue(config.contains(find), "fixture lacks " + find);
        Path f = write("config.json", config.replaceFirst(java.util.regex.Pattern.quote(find), java.util.regex.Matcher.quoteReplacement(replace)));
        return assertThrows(ConfigException.class, () -> TrainConfig.read(f), () -> "accepted " + replace);
    }

    private void assertConfigError(String find, String replace, String message) throws IOException {
        ConfigException e = configError(find, replace);
        assertTrue(e.getMessage().startsWith(tmp.resolve("config.json") + ": " + message)
                        || e.getMessage().startsWith(tmp.resolve("config.json") + ": ") && e.getMessage().contains(message),
                () -> "for " + replace + " got: " + e.getMessage());
    }

    private void assertStateError(String text, String message) throws IOException {
        Path f = write("state.json", text);
        ConfigException e = assertThrows(ConfigException.class, () -> TrainState.read(f));
        assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains(message), e.getMessage());
    }
}
