package dev.diffusion4j.io.torch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes pickle opcodes by hand, for pickles torch would never write (hostile ones) and forms torch 1.13 cannot. */
final class PickleBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static PickleBytes proto(int p) {
        return new PickleBytes().op(0x80).raw(p);
    }

    PickleBytes op(int opcode) {
        out.write(opcode);
        return this;
    }

    PickleBytes raw(int... bytes) {
        for (int b : bytes) out.write(b);
        return this;
    }

    PickleBytes raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    PickleBytes int32(int v) {
        return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    PickleBytes int64(long v) {
        return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    PickleBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return op('X').int32(b.length).raw(b);
    }

    /** BININT for small values, LONG1 of 8 bytes otherwise. */
    PickleBytes integer(long v) {
        if (v >= 0 && v < 256) return op('K').raw((int) v);
        return op(0x8a).raw(8).int64(v);
    }

    PickleBytes global(String module, String name) {
        return op('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    PickleBytes mark() {
        return op('(');
    }

    /** ('storage', torch.<storageClass>, key, 'cpu', numel) as a persistent id (BINPERSID). */
    PickleBytes storage(String storageClass, String key, long numel) {
        return mark().str("storage").global("torch", storageClass).str(key).str("cpu").integer(numel).op('t').op('Q');
    }

    /** _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()). */
    PickleBytes tensor(String storageClass, String key, long numel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").mark().storage(storageClass, key, numel).integer(offset);
        mark();
        for (long s : size) integer(s);
        op('t').mark();
        for (long s : stride) integer(s);
        op('t').op(0x89).global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
        return this;
    }

    byte[] stop() {
        out.write('.');
        return out.toByteArray();
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** A zip checkpoint as torch lays it out: archive/data.pkl, archive/data/KEY, archive/version; entries stored. */
    static byte[] zip(byte[] pickle, Map<String, byte[]> storages) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            stored(z, "archive/data.pkl", pickle);
            for (Map.Entry<String, byte[]> e : storages.entrySet()) stored(z, "archive/data/" + e.getKey(), e.getValue());
            stored(z, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }
}
