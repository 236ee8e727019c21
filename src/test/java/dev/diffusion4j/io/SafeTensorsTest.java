package dev.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir Path dir;

    /**
     * Written by the reference implementation (safetensors 0.8.0, safetensors.torch.save with torch
     * 1.13) from these tensors, with metadata {"format": "pt"}:
     * <pre>
     * weight  F32  [[1.0, -2.5, 0.1], [65504.0, 1e-8, -0.0]]
     * half    F16  [1.0, -2.5, 65504.0, 2^-24]
     * bhalf   BF16 [1.0, -2.5, 1.00390625]       (the last is a tie, rounded to even: 1.0)
     * steps   I64  [1000, -1]
     * idx     I32  [[0, 1], [2, -3]]
     * double  F64  [0.1]
     * mask    U8   [0, 128, 255]
     * flag    BOOL [true, false]
     * empty   F32  shape [0, 4]
     * scalar  F32  shape [] = 7.0
     * layer.é F16  [0.5]
     * </pre>
     */
    private static final byte[] REFERENCE = HexFormat.of().parseHex("""
            b0020000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c227374657073223a
            7b226474797065223a22493634222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c31365d
            7d2c22646f75626c65223a7b226474797065223a22463634222c227368617065223a5b315d2c22646174615f6f666673
            657473223a5b31362c32345d7d2c22656d707479223a7b226474797065223a22463332222c227368617065223a5b302c
            345d2c22646174615f6f666673657473223a5b32342c32345d7d2c227363616c6172223a7b226474797065223a224633
            32222c227368617065223a5b5d2c22646174615f6f666673657473223a5b32342c32385d7d2c22776569676874223a7b
            226474797065223a22463332222c227368617065223a5b322c335d2c22646174615f6f666673657473223a5b32382c35
            325d7d2c22696478223a7b226474797065223a22493332222c227368617065223a5b322c325d2c22646174615f6f6666
            73657473223a5b35322c36385d7d2c226268616c66223a7b226474797065223a2242463136222c227368617065223a5b
            335d2c22646174615f6f666673657473223a5b36382c37345d7d2c2268616c66223a7b226474797065223a2246313622
            2c227368617065223a5b345d2c22646174615f6f666673657473223a5b37342c38325d7d2c226c617965722ec3a9223a
            7b226474797065223a22463136222c227368617065223a5b315d2c22646174615f6f666673657473223a5b38322c3834
            5d7d2c226d61736b223a7b226474797065223a225538222c227368617065223a5b335d2c22646174615f6f6666736574
            73223a5b38342c38375d7d2c22666c6167223a7b226474797065223a22424f4f4c222c227368617065223a5b325d2c22
            646174615f6f666673657473223a5b38372c38395d7d7d20e803000000000000ffffffffffffffff9a9999999999b93f
            0000e0400000803f000020c0cdcccc3d00e07f4777cc2b3200000080000000000100000002000000fdffffff803f20c0
            803f003c00c1ff7b010000380080ff0100
            """.replaceAll("\\s", ""));

    @Test
    void readsAFileWrittenByTheReferenceImplementation() throws IOException {
        Path f = Files.write(dir.resolve("ref.safetensors"), REFERENCE);
        try (SafeTensorsFile st = SafeTensors.open(f)) {
            assertEquals(Map.of("format", "pt"), st.metadata());
            assertEquals(List.of("steps", "double", "empty", "scalar", "weight", "idx", "bhalf", "half", "layer.é", "mask", "flag"),
                    st.tensors().stream().map(TensorInfo::name).toList());
            assertEquals(new TensorInfo("weight", StoreType.F32, new int[] {2, 3}, 28, 52), st.info("weight"));

            Map<String, RawTensor> t = st.readAll();
            assertArrayEquals(new float[] {1f, -2.5f, 0.1f, 65504f, 1e-8f, -0f}, t.get("weight").toFloats());
            assertArrayEquals(new int[] {2, 3}, t.get("weight").shape());
            assertArrayEquals(new float[] {1f, -2.5f, 65504f, 0x1p-24f}, t.get("half").toFloats());
            assertArrayEquals(new float[] {1f, -2.5f, 1f}, t.get("bhalf").toFloats());
            assertArrayEquals(new long[] {1000, -1}, t.get("steps").toLongs());
            assertArrayEquals(new long[] {0, 1, 2, -3}, t.get("idx").toLongs());
            assertArrayEquals(new double[] {0.1}, t.get("double").toDoubles());
            assertArrayEquals(new long[] {0, 128, 255}, t.get("mask").toLongs());
            assertArrayEquals(new long[] {1, 0}, t.get("flag").toLongs());
            assertArrayEquals(new int[] {0, 4}, t.get("empty").shape());
            assertEquals(0, t.get("empty").toFloats().length);
            assertArrayEquals(new int[] {}, t.get("scalar").shape());
            assertArrayEquals(new float[] {7f}, t.get("scalar").toFloats());
            assertArrayEquals(new float[] {0.5f}, t.get("layer.é").toFloats());
        }
    }

    @Test
    void writesByteForByteWhatTheReferenceImplementationWrites() throws IOException {
        // Given in a scrambled order on purpose: the layout must not depend on the map's order.
        Map<String, RawTensor> t = new LinkedHashMap<>();
        t.put("layer.é", RawTensor.ofFloats(new int[] {1}, new float[] {0.5f}, StoreType.F16));
        t.put("flag", RawTensor.ofLongs(new int[] {2}, new long[] {1, 0}, StoreType.BOOL));
        t.put("weight", RawTensor.ofFloats(new int[] {2, 3}, new float[] {1f, -2.5f, 0.1f, 65504f, 1e-8f, -0f}, StoreType.F32));
        t.put("half", RawTensor.ofFloats(new int[] {4}, new float[] {1f, -2.5f, 65504f, 0x1p-24f}, StoreType.F16));
        t.put("bhalf", RawTensor.ofFloats(new int[] {3}, new float[] {1f, -2.5f, 1.00390625f}, StoreType.BF16));
        t.put("steps", RawTensor.ofLongs(new int[] {2}, new long[] {1000, -1}, StoreType.I64));
        t.put("idx", RawTensor.ofLongs(new int[] {2, 2}, new long[] {0, 1, 2, -3}, StoreType.I32));
        t.put("double", RawTensor.ofDoubles(new int[] {1}, new double[] {0.1}, StoreType.F64));
        t.put("mask", RawTensor.ofLongs(new int[] {3}, new long[] {0, 128, 255}, StoreType.U8));
        t.put("empty", RawTensor.ofFloats(new int[] {0, 4}, new float[0], StoreType.F32));
        t.put("scalar", RawTensor.ofFloats(new int[] {}, new float[] {7f}, StoreType.F32));

        assertEquals(HexFormat.of().formatHex(REFERENCE), HexFormat.of().formatHex(SafeTensors.toBytes(t, Map.of("format", "pt"))));
        Path f = dir.resolve("mine.safetensors");
        SafeTensors.write(f, t, Map.of("format", "pt"));
        assertArrayEquals(REFERENCE, Files.readAllBytes(f));
    }

    @Test
    void roundTripsEveryDtypeWithMetadata() throws IOException {
        Map<String, RawTensor> t = new LinkedHashMap<>();
        float[] f = {0.25f, -3f, 1e-3f, 1234.5f};
        for (StoreType type : new StoreType[] {StoreType.F32, StoreType.F16, StoreType.BF16, StoreType.F64}) {
            t.put("f." + type, RawTensor.ofFloats(new int[] {2, 2}, f, type));
        }
        for (StoreType type : new StoreType[] {StoreType.I64, StoreType.I32, StoreType.I16, StoreType.I8, StoreType.U8, StoreType.BOOL}) {
            t.put("i." + type, RawTensor.ofLongs(new int[] {3}, new long[] {1, 0, 1}, type));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("step", "1200");
        meta.put("config", "{\"ch\": [1, 2]}\n");
        Path file = dir.resolve("ckpt.safetensors");
        SafeTensors.write(file, t, meta);

        Map<String, RawTensor> back = SafeTensors.read(file);
        assertEquals(t.keySet(), back.keySet());
        for (String k : t.keySet()) assertEquals(t.get(k), back.get(k), k);
        assertArrayEquals(f, back.get("f.F32").toFloats());
        assertArrayEquals(f, back.get("f.F64").toFloats());
        try (SafeTensorsFile st = SafeTensors.open(file)) {
            assertEquals(meta, st.metadata());
            // Lazy: one tensor at a time, and the layout keeps every tensor aligned to its element size.
            assertEquals(t.get("f.BF16"), st.read("f.BF16"));
            long dataStart = 8 + ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, dataStart % 8);
            for (TensorInfo info : st.tensors()) assertEquals(0, info.begin() % info.type().size(), info.name());
        }
    }

    @Test
    void emptyFileWithoutMetadataMatchesTheReference() throws IOException {
        // Reference output for an empty dict: "{}" padded with spaces to 8 bytes.
        byte[] ref = HexFormat.of().parseHex("08000000000000007b7d202020202020");
        assertArrayEquals(ref, SafeTensors.toBytes(Map.of(), null));
        Path f = Files.write(dir.resolve("e.safetensors"), ref);
        try (SafeTensorsFile st = SafeTensors.open(f)) {
            assertEquals(0, st.tensors().size());
            assertEquals(Map.of(), st.metadata());
        }
    }

    @Test
    void refusesToWriteAReservedNameAndKeepsTheOldFile() throws IOException {
        Path f = dir.resolve("m.safetensors");
        Map<String, RawTensor> good = Map.of("w", RawTensor.ofFloats(new int[] {1}, new float[] {1f}, StoreType.F32));
        SafeTensors.write(f, good);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(f, Map.of("__metadata__", good.get("w"))));
        assertTrue(e.getMessage().contains("reserved for metadata"), e.getMessage());
        assertEquals(good, SafeTensors.read(f));
    }

    @Test
    void aCheckpointWriteThatDiesMidwayLeavesThePreviousCheckpoint() throws IOException {
        Path f = dir.resolve("model.safetensors");
        Map<String, RawTensor> old = Map.of("w", RawTensor.ofFloats(new int[] {2}, new float[] {1f, 2f}, StoreType.F32));
        SafeTensors.write(f, old);
        Map<String, RawTensor> next = Map.of("w", RawTensor.ofFloats(new int[] {100_000}, new float[100_000], StoreType.F32));
        SafeTensorsWriter writer = new SafeTensorsWriter(next, null);
        // The disk "fills up" after 64 KiB of the new 400 KB file.
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> writer.writeTo(failingAfter(out, 65_536))));
        assertEquals("No space left on device (simulated)", e.getMessage());
        assertEquals(old, SafeTensors.read(f));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    // ---- corrupt, truncated and hostile files ----

    @Test
    void tooSmallFile() throws IOException {
        assertCorrupt(new byte[] {1, 2, 3}, null, "file is 3 bytes; a safetensors file starts with an 8-byte header length");
    }

    @Test
    void hugeHeaderLengthIsRefusedWithoutAllocating() throws IOException {
        assertCorrupt(withPrefix(1L << 62, "{}"), null,
                "header length prefix says 4,611,686,018,427,387,904 bytes (4.0 EiB), but only 2 bytes follow it: truncated, or not a safetensors file");
        assertCorrupt(withPrefix(-1L, "{}"), null, "header length prefix says 18446744073709551615 bytes, but only 2 bytes follow it");
    }

    @Test
    void headerLongerThanTheCapIsRefused() throws IOException {
        // A sparse file: 100 MB of header would be legal in size but is over the cap.
        Path f = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(withPrefix(SafeTensorsFile.MAX_HEADER_BYTES + 8, "{"));
            raf.setLength(SafeTensorsFile.MAX_HEADER_BYTES + 32);
        }
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(f));
        assertTrue(e.getMessage().contains("header length prefix says 100,000,008 bytes (95.4 MiB), over the 100,000,000 bytes (95.4 MiB) limit"),
                e.getMessage());
    }

    @Test
    void aPyTorchZipCheckpointGetsAHint() throws IOException {
        byte[] zip = new byte[64];
        System.arraycopy(new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0}, 0, zip, 0, 8);
        assertCorrupt(zip, null, "it starts like a zip archive, as PyTorch .pt/.bin checkpoints do");
    }

    @Test
    void headerMustBeAJsonObject() throws IOException {
        assertCorrupt(withPrefix(4, "[1] "), null, "header does not start with '{' (found byte 0x5b)");
        assertCorrupt(withPrefix(8, "{\"a\":1,}"), null, "header is not valid JSON: JSON error at line 1, column 8 (offset 7): Unexpected character ('}'");
        assertCorrupt(withPrefix(9, "{\"a\":\"\u00ff\"}"), null, "header is not valid JSON");
        byte[] badUtf8 = withPrefix(8, "{\"a\":\"x\"}".substring(0, 8));
        badUtf8[13] = (byte) 0xC3;
        assertCorrupt(badUtf8, null, "invalid UTF-8");
        assertCorrupt(withPrefix(24, "{\"a\":{\"shape\":[[[1]]]}} "), null, "nesting deeper than the limit of 3 levels");
        assertCorrupt(header("{\"a\":" + entry("F32", "[1]", 0, 4) + ",\"a\":" + entry("F32", "[1]", 4, 8) + "}", 8),
                null, "Duplicate field 'a'");
    }

    @Test
    void headerPackedWithValuesIsRefusedBeforeItFillsTheHeap() throws IOException {
        String shape = "[" + "1,".repeat(1_200_000) + "1]";
        assertCorrupt(header("{\"w\":" + entry("F32", shape, 0, 4) + "}", 4), null, "more than 1000000 values");
    }

    @Test
    void entriesAreValidated() throws IOException {
        assertCorrupt(header("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "w",
                "unsupported dtype \"F8_E4M3\" (supported: [BOOL, U8, I8, I16, F16, BF16, I32, F32, F64, I64])");
        assertCorrupt(header("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "w", "'dtype' must be a string");
        assertCorrupt(header("{\"w\":" + entry("F32", "[-1]", 0, 4) + "}", 4), "w", "'shape' must hold integers from 0");
        assertCorrupt(header("{\"w\":" + entry("F32", "[1.5]", 0, 4) + "}", 4), "w", "found the number 1.5 at index 0");
        assertCorrupt(header("{\"w\":" + entry("F32", "7", 0, 4) + "}", 4), "w", "'shape' must be an array");
        assertCorrupt(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "w",
                "'data_offsets' must be [begin, end] with two integers, found [0]");
        assertCorrupt(header("{\"w\":" + entry("F32", "[0]", 4, 0) + "}", 4), "w", "must satisfy 0 <= begin <= end");
        assertCorrupt(header("{\"w\":7}", 0), "w", "header entry must be an object");
        assertCorrupt(header("{\"__metadata__\":{\"step\":12}}", 0), null, "__metadata__ value of key 'step' must be a string, found the number 12");
        assertCorrupt(header("{\"__metadata__\":[]}", 0), null, "__metadata__ must be an object of strings");
    }

    @Test
    void shapeTimesSizeMustMatchTheOffsets() throws IOException {
        assertCorrupt(header("{\"w\":" + entry("F32", "[2,3]", 0, 20) + "}", 20), "w",
                "shape [2, 3] of F32 needs 24 bytes, but data_offsets [0, 20] span 20 bytes");
        // A product that overflows a long must not wrap around into a small, matching number.
        assertCorrupt(header("{\"w\":" + entry("F64", "[2147483647,2147483647,2147483647,4]", 0, 8) + "}", 8), "w",
                "needs more than 2^63 bytes");
    }

    @Test
    void truncatedFileSaysHowMuchIsMissing() throws IOException {
        assertCorrupt(header("{\"w\":" + entry("F32", "[2097152]", 0, 8_388_608) + "}", 1_234_567), null,
                "truncated: header says 8,388,608 bytes (8.0 MiB) of tensor data, file has 1,234,567 bytes (1.2 MiB)");
        byte[] cut = Arrays.copyOf(REFERENCE, REFERENCE.length - 3);
        assertCorrupt(cut, null, "truncated: header says 89 bytes of tensor data, file has 86 bytes");
    }

    @Test
    void overlapsGapsAndLeftoverBytesAreRefused() throws IOException {
        assertCorrupt(header("{\"a\":" + entry("F32", "[2]", 0, 8) + ",\"b\":" + entry("F32", "[1]", 4, 8) + "}", 8), "b",
                "data_offsets [4, 8] overlap tensor 'a' at [0, 8]");
        assertCorrupt(header("{\"a\":" + entry("F32", "[1]", 0, 4) + ",\"b\":" + entry("F32", "[1]", 8, 12) + "}", 12), "b",
                "leaving bytes 4..8 of the data buffer in no tensor");
        assertCorrupt(header("{\"a\":" + entry("F32", "[1]", 4, 8) + "}", 8), "a", "data_offsets start at 4");
        assertCorrupt(header("{\"a\":" + entry("F32", "[1]", 0, 4) + "}", 10), null,
                "the file has 6 bytes after the last tensor's data that belong to no tensor");
    }

    @Test
    void missingFileIsNamed() {
        Path f = dir.resolve("absent.safetensors");
        var e = assertThrows(java.nio.file.NoSuchFileException.class, () -> SafeTensors.read(f));
        assertEquals(f + ": no such safetensors file", e.getMessage());
    }

    @Test
    void askingForAMissingTensorNamesIt() throws IOException {
        Path f = Files.write(dir.resolve("ref.safetensors"), REFERENCE);
        try (SafeTensorsFile st = SafeTensors.open(f)) {
            SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> st.read("nope"));
            assertEquals(f + ": tensor 'nope': no such tensor in the file (it has 11 tensors, e.g. 'steps')", e.getMessage());
            assertEquals("nope", e.tensor());
            assertEquals(f, e.file());
        }
    }

    // ---- strict state-dict loading ----

    @Test
    void checkKeysAcceptsAnExactMatch() throws IOException {
        Map<String, RawTensor> actual = Map.of("w", RawTensor.ofFloats(new int[] {2, 1}, new float[2], StoreType.F32));
        SafeTensors.checkKeys(Map.of("w", new int[] {2, 1}), actual);
    }

    @Test
    void checkKeysReportsTheFirstMismatchClearly() {
        Map<String, int[]> expected = new LinkedHashMap<>();
        expected.put("conv.weight", new int[] {64, 3, 3, 3});
        expected.put("conv.bias", new int[] {64});
        expected.put("out.weight", new int[] {10, 64});

        Map<String, int[]> shapeOff = new LinkedHashMap<>(expected);
        shapeOff.put("conv.bias", new int[] {32});
        assertCheck(expected, shapeOff, "state dict does not match the model: shape mismatch for 'conv.bias': "
                + "model expects [64], file has [32]");

        Map<String, int[]> missing = new LinkedHashMap<>(expected);
        missing.remove("out.weight");
        assertCheck(expected, missing, "state dict does not match the model: missing key 'out.weight' (expected shape [10, 64])");

        Map<String, int[]> extra = new LinkedHashMap<>(expected);
        extra.put("ema.step", new int[] {});
        assertCheck(expected, extra, "state dict does not match the model: unexpected key 'ema.step' (shape [])");

        Map<String, int[]> prefixed = new LinkedHashMap<>();
        expected.forEach((k, v) -> prefixed.put("module." + k, v));
        assertCheck(expected, prefixed, "missing key 'conv.weight' (expected shape [64, 3, 3, 3]); the file has "
                + "'module.conv.weight': do the names differ by a prefix? (and 5 more problems; in all 3 missing, 3 unexpected, 0 with a different shape)");

        List<String> all = SafeTensors.shapeProblems(expected, extra);
        assertEquals(List.of("unexpected key 'ema.step' (shape [])"), all);
    }

    private static void assertCheck(Map<String, int[]> expected, Map<String, int[]> actual, String message) {
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.checkShapes(expected, actual));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    // ---- helpers that build hostile files byte by byte ----

    private static String entry(String dtype, String shape, long begin, long end) {
        return "{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    /** A file with the given header JSON and dataBytes zero bytes of data. */
    private static byte[] header(String json, int dataBytes) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).array();
    }

    private static byte[] withPrefix(long headerLength, String rest) {
        byte[] r = rest.getBytes(StandardCharsets.ISO_8859_1);
        return ByteBuffer.allocate(8 + r.length).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).put(r).array();
    }

    private void assertCorrupt(byte[] bytes, String tensor, String message) throws IOException {
        Path f = Files.write(dir.resolve("bad.safetensors"), bytes);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f + ": " + (tensor == null ? "" : "tensor '" + tensor + "': ")), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertEquals(tensor, e.tensor());
    }

    private static OutputStream failingAfter(OutputStream out, int limit) {
        return new OutputStream() {
            private int written;

            @Override public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override public void write(byte[] b, int off, int len) throws IOException {
                if (written + len > limit) {
                    out.write(b, off, limit - written);
                    written = limit;
                    throw new IOException("No space left on device (simulated)");
                }
                out.write(b, off, len);
                written += len;
            }
        };
    }
}
