package dev.diffusion4j.io.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diffusion4j.io.RawTensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and damaged checkpoints: each must end in the reader's own exception with a message, never another
 * exception or error, never a call into Python globals, and never an allocation out of proportion to the file.
 */
class HostileCheckpointTest {
    @TempDir Path dir;
    private int files;

    /** Bytes a read may allocate: a fixed allowance for the JDK's zip and buffer plumbing plus a multiple of the file. */
    private static long allowance(long fileSize) {
        return (8 << 20) + 64 * fileSize;
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** Reads the bytes as a checkpoint; returns the tensors, or null when refused with the reader's own exception. */
    private Map<String, RawTensor> read(byte[] file, String keyPath) throws IOException {
        Path p = dir.resolve("f" + files++ + ".pt");
        Files.write(p, file);
        long before = allocated();
        try {
            return WeightsFiles.read(p, keyPath);
        } catch (TorchCheckpointException e) {
            assertTrue(e.getMessage() != null && e.getMessage().startsWith(p.toString()), "message names the file: " + e.getMessage());
            return null;
        } catch (Throwable t) {
            throw new AssertionError("a " + file.length + "-byte file ended in " + t + " instead of TorchCheckpointException", t);
        } finally {
            long used = allocated() - before;
            assertTrue(used <= allowance(file.length), "read of a " + file.length + "-byte file allocated " + used + " bytes");
            Files.delete(p);
        }
    }

    private String refusal(byte[] file, String keyPath) throws IOException {
        Path p = dir.resolve("f" + files++ + ".pt");
        Files.write(p, file);
        long before = allocated();
        try {
            Map<String, RawTensor> t = WeightsFiles.read(p, keyPath);
            return fail("expected a refusal, read " + t.keySet());
        } catch (TorchCheckpointException e) {
            return e.getMessage();
        } catch (Throwable t) {
            throw new AssertionError("ended in " + t + " instead of TorchCheckpointException", t);
        } finally {
            long used = allocated() - before;
            assertTrue(used <= allowance(file.length), "read of a " + file.length + "-byte file allocated " + used + " bytes");
        }
    }

    private String refusedPickle(byte[] pickle) throws IOException {
        return refusal(PickleBytes.zip(pickle, Map.of()), null);
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
    }

    // ---- code execution attempts ----

    @ParameterizedTest
    @ValueSource(strings = {"os system", "posix system", "builtins eval", "builtins exec", "subprocess Popen", "torch load", "__builtin__ eval"})
    void refusesEveryOtherGlobalNamingIt(String global) throws IOException {
        String[] mn = global.split(" ");
        byte[] viaGlobal = PickleBytes.proto(2).global(mn[0], mn[1]).str("echo pwned").op(0x85).op('R').stop();
        assertMentions(refusedPickle(viaGlobal), "refusing the Python global " + mn[0] + "." + mn[1]);
        byte[] viaStack = PickleBytes.proto(4).str(mn[0]).str(mn[1]).op(0x93).str("1+1").op(0x85).op('R').stop();
        assertMentions(refusedPickle(viaStack), "refusing the Python global " + mn[0] + "." + mn[1]);
    }

    @Test
    void allowedNamesCannotBeCalledAsAnythingElse() throws IOException {
        assertMentions(refusedPickle(PickleBytes.proto(2).global("torch", "FloatStorage").op(')').op('R').stop()), "allowed only as a name");
        assertMentions(refusedPickle(PickleBytes.proto(2).str("os").op(')').op('R').stop()), "REDUCE calls a str");
        assertMentions(refusedPickle(PickleBytes.proto(2).op(']').op('}').op('b').stop()), "BUILD", "list");
        for (int op : new int[] {'i', 'o', 0x81, 0x92, 0x82, 'P', 'I', 'S', 0x8f, 0x97}) {
            assertMentions(refusedPickle(PickleBytes.proto(2).op(op).raw(0, 0, 0, 0).stop()), "is not allowed");
        }
        assertMentions(refusedPickle(PickleBytes.proto(6).op('N').stop()), "protocol 6");
    }

    // ---- lengths and counts that claim more than the file holds ----

    @Test
    void hugeLengthsAreRefusedBeforeAllocating() throws IOException {
        assertMentions(refusedPickle(PickleBytes.proto(2).op('X').int32(0x7fff_fff0).raw("abc".getBytes()).stop()), "BINUNICODE", "bytes are left");
        assertMentions(refusedPickle(PickleBytes.proto(2).op('B').int32(-1).stop()), "BINBYTES");
        assertMentions(refusedPickle(PickleBytes.proto(4).op(0x8e).int64(1L << 62).stop()), "BINBYTES8");
        assertMentions(refusedPickle(PickleBytes.proto(4).op(0x8d).int64(-1).stop()), "past any file");
        assertMentions(refusedPickle(PickleBytes.proto(2).op(0x8b).int32(1 << 30).stop()), "LONG4");
        byte[] longName = new byte[100_000];
        Arrays.fill(longName, (byte) 'a');
        assertMentions(refusedPickle(PickleBytes.proto(2).op('c').raw(longName).stop()), "GLOBAL name longer");
    }

    @Test
    void hugeStoragesAndViewsPastTheStorageAreRefused() throws IOException {
        byte[] four = new byte[16];
        byte[] huge = PickleBytes.proto(2).mark().str("w").tensor("FloatStorage", "0", 1L << 60, 0, new long[] {1 << 30, 1 << 30}, new long[] {1 << 30, 1}).op('d').stop();
        assertMentions(refusal(PickleBytes.zip(huge, Map.of("0", four)), null), "storage '0'");
        byte[] past = PickleBytes.proto(2).mark().str("w").tensor("FloatStorage", "0", 4, 3, new long[] {2}, new long[] {1}).op('d').stop();
        assertMentions(refusal(PickleBytes.zip(past, Map.of("0", four)), null), "tensor 'w'", "past the end of its storage");
        byte[] strided = PickleBytes.proto(2).mark().str("w").tensor("FloatStorage", "0", 4, 0, new long[] {2, 2}, new long[] {1L << 62, 1}).op('d').stop();
        assertMentions(refusal(PickleBytes.zip(strided, Map.of("0", four)), null), "past the end of its storage");
        byte[] expanded = PickleBytes.proto(2).mark().str("w").tensor("FloatStorage", "0", 4, 0, new long[] {1 << 20, 4}, new long[] {0, 1}).op('d').stop();
        assertMentions(refusal(PickleBytes.zip(expanded, Map.of("0", four)), null), "expanded tensor");
        byte[] missing = PickleBytes.proto(2).mark().str("w").tensor("FloatStorage", "7", 4, 0, new long[] {4}, new long[] {1}).op('d').stop();
        assertMentions(refusal(PickleBytes.zip(missing, Map.of("0", four)), null), "no entry archive/data/7");
        byte[] shortEntry = PickleBytes.proto(2).mark().str("w").tensor("DoubleStorage", "0", 4, 0, new long[] {4}, new long[] {1}).op('d').stop();
        assertMentions(refusal(PickleBytes.zip(shortEntry, Map.of("0", four)), null), "its entry holds 16 bytes");
    }

    @Test
    void manyViewsOfOneStorageCannotMultiplyMemory() throws IOException {
        int n = 400;
        byte[] storage = new byte[64 << 10];
        PickleBytes p = PickleBytes.proto(2).mark();
        for (int i = 0; i < n; i++) p.str("w" + i).tensor("FloatStorage", "0", storage.length / 4, 0, new long[] {storage.length / 4}, new long[] {1});
        assertMentions(refusal(PickleBytes.zip(p.op('d').stop(), Map.of("0", storage)), null), "views add up to more than");
    }

    // ---- structure abuse ----

    @Test
    void deepNestingAndCyclesEndInMessages() throws IOException {
        int depth = 200_000;
        PickleBytes lists = PickleBytes.proto(2);
        for (int i = 0; i < depth; i++) lists.op(']');
        for (int i = 1; i < depth; i++) lists.op('a');
        assertMentions(refusedPickle(lists.stop()), "is a list");
        PickleBytes marks = PickleBytes.proto(2);
        for (int i = 0; i < depth; i++) marks.mark();
        assertMentions(refusedPickle(marks.stop()), "empty stack");
        byte[] cycle = PickleBytes.proto(2).op('}').op('q').raw(0).str("a").op('h').raw(0).op('s').stop();
        assertMentions(refusedPickle(cycle), "not a flat name -> tensor map", "a (dict of 1 entry)");
        assertMentions(refusal(PickleBytes.zip(cycle, Map.of()), "a.a.a.a.a.a.a.a.a.a.b"), "has no key 'b'");
        byte[] selfList = PickleBytes.proto(2).op(']').op('q').raw(0).op('h').raw(0).op('a').stop();
        assertMentions(refusedPickle(selfList), "is a list");
        byte[] tupleKey = PickleBytes.proto(2).op('}').op(')').op('N').op('s').stop();
        assertMentions(refusedPickle(tupleKey), "dict key that is a tuple");
    }

    @Test
    void memoAbuseIsRefused() throws IOException {
        assertMentions(refusedPickle(PickleBytes.proto(2).op('h').raw(5).stop()), "memo slot 5");
        assertMentions(refusedPickle(PickleBytes.proto(2).op('j').int32(-1).stop()), "memo slot 4294967295");
        assertMentions(refusedPickle(PickleBytes.proto(2).op('r').int32(-1).stop()), "empty stack");
        PickleBytes many = PickleBytes.proto(2).op('N');
        for (int i = 0; i < 50_000; i++) many.op('r').int32(i * 7919);
        assertMentions(refusedPickle(many.stop()), "None");
        assertMentions(refusedPickle(PickleBytes.proto(2).op('0').stop()), "empty stack");
        assertMentions(refusedPickle(PickleBytes.proto(2).op('1').stop()), "MARK it never opened");
        assertMentions(refusedPickle(PickleBytes.proto(2).op('N').op('N').stop()), "STOP with 1 values left");
        assertMentions(refusedPickle(PickleBytes.proto(2).mark().op('N').op('d').stop()), "come in pairs");
    }

    // ---- zip containers ----

    @Test
    void compressedAndOversizedZipEntriesAreRefused() throws IOException {
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bomb)) {
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            z.write(new byte[4 << 20]); // deflates to a few KB
            z.closeEntry();
        }
        assertMentions(refusal(bomb.toByteArray(), null), "is compressed");

        byte[] pickle = PickleBytes.proto(2).op('}').stop();
        byte[] zip = PickleBytes.zip(pickle, Map.of());
        // the central directory's sizes of the first entry (data.pkl): claim 3 GiB
        int cen = indexOf(zip, new byte[] {'P', 'K', 1, 2});
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(cen + 20, 0xC000_0000).putInt(cen + 24, 0xC000_0000);
        read(zip, null); // the JDK may refuse the archive itself; either way it is our exception, and small
        assertMentions(refusal(zip, null), "zip");
        assertMentions(refusal(PickleBytes.zip(PickleBytes.proto(2).op('}').stop(), Map.of()), null), "not a flat name -> tensor map", "none (an empty dict)");
        assertMentions(refusal(new byte[] {'P', 'K', 3, 4, 0, 0}, null), "zip");
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

    // ---- damaged real files ----

    @ParameterizedTest
    @ValueSource(strings = {"tiny.pt", "tiny_legacy.pt"})
    void everyTruncationIsRefused(String fixture) throws IOException {
        byte[] full = Fixtures.bytes(fixture);
        assertEquals(2, read(full, null).size());
        for (int n = 0; n < full.length; n++) {
            assertEquals(null, read(Arrays.copyOf(full, n), null), "a file cut to " + n + " of " + full.length + " bytes was read");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dtypes.pt", "dtypes_legacy.pt", "nested.pt"})
    void randomByteFlipsEndInValuesOrOurException(String fixture) throws IOException {
        byte[] full = Fixtures.bytes(fixture);
        Random r = new Random(fixture.hashCode());
        String key = fixture.startsWith("nested") ? "model" : null;
        for (int i = 0; i < 250; i++) {
            byte[] f = full.clone();
            int flips = 1 + r.nextInt(3);
            for (int j = 0; j < flips; j++) f[r.nextInt(f.length)] ^= (byte) (1 << r.nextInt(8));
            read(f, key);
        }
    }
}
