package dev.diffusion4j.io.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.StoreType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real torch.save output (zip, legacy, protocol 4) against what the same script wrote as safetensors. */
class TorchCheckpointTest {
    @TempDir Path dir;

    static Map<String, RawTensor> expected(String prefix) throws IOException {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        SafeTensors.read(Fixtures.path("expected.safetensors")).forEach((k, v) -> {
            if (k.startsWith(prefix + ":")) out.put(k.substring(prefix.length() + 1), v);
        });
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dtypes.pt", "dtypes_legacy.pt", "dtypes_proto4.pt"})
    void readsEveryDtypeAndViewAsTorchWroteIt(String file) throws IOException {
        Map<String, RawTensor> want = expected("dtypes");
        Map<String, RawTensor> got = WeightsFiles.read(Fixtures.path(file), null);
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()), "names in file order");
        want.forEach((k, v) -> assertEquals(v, got.get(k), k));
        assertEquals(StoreType.BF16, got.get("bf16").type());
        assertArrayEquals(new int[] {4, 3}, got.get("transposed").shape());
        assertArrayEquals(new int[] {}, got.get("scalar").shape());
        assertArrayEquals(new int[] {0, 3}, got.get("empty").shape());
        assertArrayEquals(new long[] {-3, 0, 1L << 40}, got.get("i64").toLongs());
        // the transposed 3x4 grid (k/8 - 0.5) read back column by column
        assertEquals(-0.5f + 4 / 8f, got.get("transposed").toFloats()[1]);
        assertSame(got.get("base"), got.get("base_again"), "one tensor saved twice is read once");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny.pt", "tiny_legacy.pt"})
    void readsTheTinyFixtures(String file) throws IOException {
        assertEquals(expected("tiny"), WeightsFiles.read(Fixtures.path(file), null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"nested.pt", "nested_legacy.pt"})
    void keyPathsPickNestedStateDicts(String file) throws IOException {
        for (String part : List.of("model", "ema")) {
            Map<String, RawTensor> want = new LinkedHashMap<>();
            expected("nested").forEach((k, v) -> { if (k.startsWith(part + ".")) want.put(k.substring(part.length() + 1), v); });
            Map<String, RawTensor> got = WeightsFiles.read(Fixtures.path(file), part);
            assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()));
            want.forEach((k, v) -> assertEquals(v, got.get(k), part + "." + k));
        }
        assertTrue(WeightsFiles.read(Fixtures.path(file), "model").containsKey("norm.num_batches_tracked"));
    }

    @Test
    void aCheckpointThatIsNotAStateDictListsItsKeys() {
        TorchCheckpointException e = assertThrows(TorchCheckpointException.class, () -> WeightsFiles.read(Fixtures.path("nested.pt"), null));
        String m = e.getMessage();
        assertTrue(m.contains("nested.pt") && m.contains("not a flat name -> tensor map"), m);
        assertTrue(m.contains("model (dict of 9 tensors)") && m.contains("step (int)") && m.contains("--key model"), m);
        TorchCheckpointException missing = assertThrows(TorchCheckpointException.class, () -> WeightsFiles.read(Fixtures.path("nested.pt"), "emma"));
        assertTrue(missing.getMessage().contains("no key 'emma'") && missing.getMessage().contains("ema (dict"), missing.getMessage());
        TorchCheckpointException scalar = assertThrows(TorchCheckpointException.class, () -> WeightsFiles.read(Fixtures.path("nested.pt"), "args.lr"));
        assertTrue(scalar.getMessage().contains("'args.lr' is a float"), scalar.getMessage());
    }

    @Test
    void parametersUnderADottedPath() throws IOException {
        Map<String, RawTensor> want = new LinkedHashMap<>();
        expected("params").forEach((k, v) -> want.put(k.substring("state_dict.".length()), v));
        Map<String, RawTensor> got = WeightsFiles.read(Fixtures.path("params.pt"), "state_dict");
        assertEquals(want, got);
    }

    @Test
    void detectsFormatsByTheirFirstBytes() throws IOException {
        assertEquals(WeightsFiles.Format.TORCH_ZIP, WeightsFiles.detect(Fixtures.path("dtypes.pt")));
        assertEquals(WeightsFiles.Format.TORCH_LEGACY, WeightsFiles.detect(Fixtures.path("dtypes_legacy.pt")));
        assertEquals(WeightsFiles.Format.SAFETENSORS, WeightsFiles.detect(Fixtures.path("expected.safetensors")));
        Path text = Files.writeString(dir.resolve("notes.pt"), "hello, not weights");
        assertEquals(WeightsFiles.Format.UNKNOWN, WeightsFiles.detect(text));
        assertThrows(TorchCheckpointException.class, () -> WeightsFiles.read(text, null));
    }

    @Test
    void safetensorsKeyPathsSelectAPrefix() throws IOException {
        Map<String, RawTensor> t = new LinkedHashMap<>();
        t.put("ema.w", RawTensor.ofFloats(new int[] {2}, new float[] {1, 2}, StoreType.F32));
        t.put("model.w", RawTensor.ofFloats(new int[] {2}, new float[] {3, 4}, StoreType.F32));
        Path f = dir.resolve("ck.safetensors");
        SafeTensors.write(f, t);
        assertEquals(Map.of("w", t.get("ema.w")), WeightsFiles.read(f, "ema"));
        assertEquals(2, WeightsFiles.read(f, null).size());
        TorchCheckpointException e = assertThrows(TorchCheckpointException.class, () -> WeightsFiles.read(f, "opt"));
        assertTrue(e.getMessage().contains("ema, model"), e.getMessage());
    }

    @Test
    void castsFloatsOnly() throws IOException {
        Map<String, RawTensor> got = WeightsFiles.castFloats(WeightsFiles.read(Fixtures.path("dtypes.pt"), null), StoreType.BF16);
        assertEquals(StoreType.BF16, got.get("f32").type());
        assertEquals(StoreType.BF16, got.get("f64").type());
        assertEquals(StoreType.I64, got.get("i64").type());
        assertEquals(StoreType.BOOL, got.get("bool").type());
    }
}
