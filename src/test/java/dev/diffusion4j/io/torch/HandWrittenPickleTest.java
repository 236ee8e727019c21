package dev.diffusion4j.io.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.io.StoreType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Forms newer torch writes (untyped storages with dtype objects, a byteorder record) that torch 1.13 cannot produce. */
class HandWrittenPickleTest {
    @TempDir Path dir;

    private Map<String, RawTensor> read(byte[] file, String key) throws IOException {
        Path p = Files.write(dir.resolve("ck.pt"), file);
        return WeightsFiles.read(p, key);
    }

    @Test
    void untypedStorageWithADtypeObject() throws IOException {
        // _rebuild_tensor_v3(UntypedStorage of 4 bytes, 0, (2,), (1,), False, OrderedDict(), torch.bfloat16)
        byte[] pickle = PickleBytes.proto(4).op('}').str("w")
                .global("torch._utils", "_rebuild_tensor_v3").mark()
                .mark().str("storage").global("torch.storage", "UntypedStorage").str("0").str("cpu").integer(4).op('t').op('Q')
                .integer(0).integer(2).op(0x85).integer(1).op(0x85).op(0x89)
                .global("collections", "OrderedDict").op(')').op('R').global("torch", "bfloat16").op('t').op('R')
                .op('s').stop();
        Map<String, RawTensor> t = read(PickleBytes.zip(pickle, Map.of("0", new byte[] {(byte) 0x80, 0x3f, 0x00, (byte) 0xc0})), null);
        assertEquals(StoreType.BF16, t.get("w").type());
        assertArrayEquals(new float[] {1f, -2f}, t.get("w").toFloats());
    }

    @Test
    void bigEndianStoragesAreSwapped() throws IOException {
        byte[] pickle = PickleBytes.proto(2).mark().str("w")
                .tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}).op('d').stop();
        byte[] data = ByteBuffer.allocate(8).putFloat(1.25f).putFloat(-3f).array(); // ByteBuffer's default: big-endian
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            PickleBytes.stored(z, "archive/data.pkl", pickle);
            PickleBytes.stored(z, "archive/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
            PickleBytes.stored(z, "archive/data/0", data);
        }
        assertArrayEquals(new float[] {1.25f, -3f}, read(out.toByteArray(), null).get("w").toFloats());
    }

    @Test
    void plainValuesAroundTheTensors() throws IOException {
        // {"meta": {"bytes": _codecs.encode("\xff", "latin1"), "pairs": OrderedDict([("a", 1)]), "size": torch.Size((2, 3)),
        //  "big": 2**70, "half": 0.5}, "sd": {"w": tensor}}
        byte[] pickle = PickleBytes.proto(2).op('}')
                .str("meta").op('}')
                .str("bytes").global("_codecs", "encode").str("\u00ff").str("latin1").op(0x86).op('R').op('s')
                .str("pairs").global("collections", "OrderedDict").op(']').str("a").integer(1).op(0x86).op('a').op(0x85).op('R').op('s')
                .str("size").global("torch", "Size").integer(2).integer(3).op(0x86).op(0x85).op('R').op('s')
                .str("big").op(0x8a).raw(9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40).op('s')
                .str("half").op('G').raw(ByteBuffer.allocate(8).putDouble(0.5).array()).op('s')
                .op('s')
                .str("sd").mark().str("w").tensor("LongStorage", "0", 1, 0, new long[] {}, new long[] {}).op('d').op('s')
                .stop();
        byte[] zip = PickleBytes.zip(pickle, Map.of("0", ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(42).array()));
        assertArrayEquals(new long[] {42}, read(zip, "sd").get("w").toLongs());
        TorchCheckpointException e = org.junit.jupiter.api.Assertions.assertThrows(TorchCheckpointException.class, () -> read(zip, "meta"));
        for (String part : List.of("bytes (bytes)", "pairs (dict of 1 entry)", "size (tuple)", "big (int)", "half (float)")) {
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(part), part + " missing from " + e.getMessage());
        }
    }

    @Test
    void keyPathsPreferTheLongestKeyAndReadIntKeys() throws IOException {
        // {"a": {"b": {"x": tensor}}, "a.b": {"w": tensor}, 3: {"v": tensor}}
        byte[] pickle = PickleBytes.proto(2).op('}')
                .str("a").op('}').str("b").mark().str("x").tensor("FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}).op('d').op('s').op('s')
                .str("a.b").mark().str("w").tensor("FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}).op('d').op('s')
                .integer(3).mark().str("v").tensor("FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}).op('d').op('s')
                .stop();
        byte[] zip = PickleBytes.zip(pickle, Map.of("0", ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(7f).array()));
        assertEquals(List.of("w"), List.copyOf(read(zip, "a.b").keySet()));
        assertEquals(List.of("v"), List.copyOf(read(zip, "3").keySet()));
        assertArrayEquals(new float[] {7f}, read(zip, "3").get("v").toFloats());
    }
}
