package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.SafeTensorsFile;
import dev.diffusion4j.io.StoreType;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code diffuse convert} on the real torch.save fixtures of io.torch's tests. */
class ConvertCommandTest {
    @TempDir Path dir;

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(ConvertCommandTest.class.getResource("/torch/" + name).toURI());
    }

    private static Map<String, RawTensor> expected(String prefix) throws Exception {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        SafeTensors.read(fixture("expected.safetensors")).forEach((k, v) -> {
            if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v);
        });
        return out;
    }

    @Test
    void convertsAStateDictInsideACheckpoint() throws Exception {
        Path out = dir.resolve("sub/ema.safetensors");
        CliRun r = CliRun.of("convert", fixture("nested_legacy.pt").toString(), out.toString(), "--key", "ema").succeeded();
        assertTrue(r.out().contains("PyTorch legacy checkpoint") && r.out().contains("wrote " + out + ": 9 tensors (8 F32, 1 I64), 77 parameters and 1 integer values"), r.out());
        assertEquals(expected("nested:ema."), SafeTensors.read(out));
        try (SafeTensorsFile f = SafeTensors.open(out)) {
            assertEquals("ema", f.metadata().get("key"));
            assertEquals("nested_legacy.pt", f.metadata().get("source"));
        }
    }

    @Test
    void castsFloatsAndNamesTheOutputAfterTheInput() throws Exception {
        Path in = Files.copy(fixture("dtypes.pt"), dir.resolve("dtypes.pt"));
        CliRun.of("convert", in.toString(), "--dtype", "bf16").succeeded();
        Map<String, RawTensor> got = SafeTensors.read(dir.resolve("dtypes.safetensors"));
        assertEquals(StoreType.BF16, got.get("f32").type());
        assertEquals(StoreType.I32, got.get("i32").type());
        assertEquals(expected("dtypes:").get("bf16"), got.get("bf16"));
    }

    @Test
    void refusalsAreOneLine() throws Exception {
        CliRun.of("convert", fixture("nested.pt").toString(), dir.resolve("x.safetensors").toString())
                .refused(1, "not a flat name -> tensor map", "model (dict of 9 tensors)", "--key model");
        CliRun.of("convert", dir.resolve("absent.pt").toString()).refused(1, "absent.pt");
        CliRun.of("convert", fixture("dtypes.pt").toString(), "--dtype", "f8").refused(2, "--dtype must be one of keep, f32, bf16, f16");
        CliRun.of("convert", fixture("dtypes.pt").toString(), dir.toString()).refused(2, "is a folder");
        Path evil = Files.write(dir.resolve("evil.pt"), zipWithPickle(new byte[] {(byte) 0x80, 2, 'c', 'o', 's', '\n', 's', 'y', 's', 't', 'e', 'm', '\n', '.'}));
        CliRun.of("convert", evil.toString(), dir.resolve("e.safetensors").toString()).refused(1, "refusing the Python global os.system");
        assertTrue(!Files.exists(dir.resolve("e.safetensors")));
    }

    private static byte[] zipWithPickle(byte[] pickle) throws IOException {
        var bytes = new java.io.ByteArrayOutputStream();
        try (var z = new java.util.zip.ZipOutputStream(bytes)) {
            var e = new java.util.zip.ZipEntry("archive/data.pkl");
            e.setMethod(java.util.zip.ZipEntry.STORED);
            e.setSize(pickle.length);
            e.setCompressedSize(pickle.length);
            var crc = new java.util.zip.CRC32();
            crc.update(pickle);
            e.setCrc(crc.getValue());
            z.putNextEntry(e);
            z.write(pickle);
            z.closeEntry();
        }
        return bytes.toByteArray();
    }
}
