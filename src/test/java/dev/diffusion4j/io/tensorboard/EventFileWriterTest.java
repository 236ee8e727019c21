package dev.diffusion4j.io.tensorboard;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.data.Pngs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventFileWriterTest {
    @TempDir Path dir;

    @Test
    void crc32cAndItsMaskMatchTheReferenceValues() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        // CRC32C("123456789") = 0xE3069283, the standard check value of the Castagnoli CRC
        assertEquals(0xE3069283, EventFileReader.crc32c(check, 0, 9));
        int m = EventFileReader.masked(0xE3069283);
        assertEquals(((0xE3069283 >>> 15) | (0xE3069283 << 17)) + 0xa282ead8, m);
        assertEquals(m, TfRecords.maskedCrc32c(check, 0, 9));
        assertEquals(EventFileReader.masked(EventFileReader.crc32c(new byte[0], 0, 0)), TfRecords.maskedCrc32c(new byte[0], 0, 0));
    }

    @Test
    void protobufWireFormatMatchesTheSpecificationExamples() {
        // the protobuf encoding guide's examples: field 1 = 150 is 08 96 01; field 2 = "testing" is 12 07 74 65 73 74 69 6e 67
        assertEquals("089601", HexFormat.of().formatHex(new ProtoWriter().varint(1, 150).toByteArray()));
        assertEquals("120774657374696e67", HexFormat.of().formatHex(new ProtoWriter().string(2, "testing").toByteArray()));
        // a negative int64 takes ten bytes (two's complement as unsigned 64-bit)
        assertEquals("08ffffffffffffffffff01", HexFormat.of().formatHex(new ProtoWriter().varint(1, -1).toByteArray()));
        assertEquals("150000803f", HexFormat.of().formatHex(new ProtoWriter().floatValue(2, 1f).toByteArray()));
        assertEquals("09000000000000f03f", HexFormat.of().formatHex(new ProtoWriter().doubleValue(1, 1.0).toByteArray()));
    }

    @Test
    void scalarsImagesAndSessionStartsDecodeAsWritten() throws Exception {
        Path png = dir.resolve("grid.png");
        float[] pixels = new float[3 * 4 * 6];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (i % 7) / 3f - 1f;
        Pngs.writeImage(png, pixels, 0, 3, 4, 6);
        byte[] pngBytes = Files.readAllBytes(png);
        Path file;
        try (EventFileWriter w = EventFileWriter.create(dir.resolve("tb"))) {
            file = w.file();
            w.sessionStart(5, 1000.5);
            w.scalar("train/loss", 7, 0.125, 1001.25);
            w.scalar("train/lr", 1L << 40, 3e-4, 1002);
            w.image("samples", 8, pngBytes, 1003);
        }
        assertTrue(file.getFileName().toString().startsWith("events.out.tfevents."), file.toString());
        List<EventFileReader.Event> ev = EventFileReader.events(file);
        assertEquals(5, ev.size());
        assertEquals(EventFileWriter.FILE_VERSION, ev.get(0).fileVersion());
        assertTrue(Math.abs(ev.get(0).wallTime() - System.currentTimeMillis() / 1000.0) < 60, "first record's wall time is now");
        assertEquals(1, ev.get(1).sessionStatus());
        assertEquals(5, ev.get(1).step());
        assertEquals(1000.5, ev.get(1).wallTime());

        var loss = ev.get(2);
        assertEquals(7, loss.step());
        assertEquals(1001.25, loss.wallTime());
        assertEquals(1, loss.values().size());
        assertEquals("train/loss", loss.values().get(0).tag());
        assertEquals(0.125f, loss.values().get(0).simpleValue());
        assertEquals(1L << 40, ev.get(3).step());
        assertEquals((float) 3e-4, ev.get(3).values().get(0).simpleValue());

        var img = ev.get(4).values().get(0);
        assertEquals("samples", img.tag());
        assertEquals(8, ev.get(4).step());
        assertEquals(4, img.image().height());
        assertEquals(6, img.image().width());
        assertEquals(3, img.image().colorspace(), "RGB");
        assertArrayEquals(pngBytes, img.image().png());
    }

    @Test
    void grayPngIsColorspaceOneAndNonPngIsRefused() throws Exception {
        Path png = dir.resolve("gray.png");
        Pngs.writeImage(png, new float[2 * 3], 0, 1, 2, 3);
        PngHeader h = PngHeader.of(Files.readAllBytes(png));
        assertEquals(new PngHeader(3, 2, 1), h);
        assertThrows(IllegalArgumentException.class, () -> PngHeader.of(new byte[40]));
    }

    @Test
    void twoWritersInOneFolderGetTwoFilesThatSortInOrder() throws Exception {
        Path tb = dir.resolve("tb");
        try (EventFileWriter a = EventFileWriter.create(tb); EventFileWriter b = EventFileWriter.create(tb)) {
            assertNotEquals(a.file(), b.file());
            assertTrue(a.file().getFileName().toString().compareTo(b.file().getFileName().toString()) < 0);
        }
        try (Stream<Path> s = Files.list(tb)) {
            for (Path f : s.toList()) assertEquals(1, EventFileReader.events(f).size(), "each starts with its version record");
        }
    }
}
