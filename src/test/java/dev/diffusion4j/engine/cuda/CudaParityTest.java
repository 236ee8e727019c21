package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backend;
import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * CPU-vs-CUDA parity for every Backend method (the table is {@link ParityCases}), Philox streams, transfers and
 * casts, and memory that stays flat while tensors are dropped without being closed. Errors are max |cuda - cpu| over
 * max |cpu|, per output and per input gradient; f32 runs with TF32 off. Prints a table (and writes it to
 * $OUT/parity.txt where OUT is set).
 */
@Tag("gpu")
class CudaParityTest {
    static final double BF16_TOL = 1e-2;
    private static final Map<String, double[]> RESULTS = new ConcurrentSkipListMap<>();
    private static final List<String> NOTES = new ArrayList<>();
    private static CudaBackend gpu;
    private static Device cuda;

    @BeforeAll
    static void openDevice() {
        boolean ok = CudaBackendFactory.available();
        if (!ok) System.out.println("CudaParityTest skipped: " + CudaLibraries.unavailableReason());
        Assumptions.assumeTrue(ok, () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        cuda = Device.cuda(0);
        gpu = (CudaBackend) Backends.get(cuda);
        CudaBackend.setAllowTf32(false);
        long t0 = System.nanoTime();
        int modules = gpu.warmUpKernels();
        String note = String.format(Locale.ROOT, "kernels: %d modules compiled/loaded in parallel in %.1f s", modules, (System.nanoTime() - t0) / 1e9);
        System.out.println(note);
        NOTES.add(note);
    }

    @AfterAll
    static void summary() throws IOException {
        if (gpu == null) return;
        StringBuilder sb = new StringBuilder("==== CUDA parity (max |cuda-cpu| / max |cpu|; grad = worst input gradient)\n");
        sb.append(String.format(Locale.ROOT, "%-44s %10s %10s %10s %10s%n", "case", "f32 out", "f32 grad", "bf16 out", "bf16 grad"));
        double[] worst = new double[4];
        for (Map.Entry<String, double[]> e : RESULTS.entrySet()) {
            double[] v = e.getValue();
            sb.append(String.format(Locale.ROOT, "%-44s %10s %10s %10s %10s%n", e.getKey(), fmt(v[0]), fmt(v[1]), fmt(v[2]), fmt(v[3])));
            for (int i = 0; i < 4; i++) if (!Double.isNaN(v[i]) && v[i] >= 0) worst[i] = Math.max(worst[i], v[i]);
        }
        sb.append(String.format(Locale.ROOT, "%-44s %10s %10s %10s %10s%n", "WORST (" + RESULTS.size() + " cases)", fmt(worst[0]), fmt(worst[1]), fmt(worst[2]), fmt(worst[3])));
        sb.append(String.format(Locale.ROOT, "f64: %d cases without convolutions, worst output %.2e, worst gradient %.2e%n", (int) F64_WORST[2], F64_WORST[0], F64_WORST[1]));
        for (String n : NOTES) sb.append(n).append('\n');
        System.out.print(sb);
        String out = System.getenv("OUT");
        if (out != null) Files.writeString(Path.of(out, "parity.txt"), sb.toString());
    }

    private static String fmt(double v) { return v == -1 ? "-" : String.format(Locale.ROOT, "%.2e", v); }

    // ------------------------------------------------------------------ the case table

    @TestFactory
    Stream<DynamicTest> parity() {
        return ParityCases.cases().stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> {
            double[] r = {-1, -1, -1, -1};
            RESULTS.put(k.name(), r);
            double[] e32 = run(k, DType.F32);
            r[0] = e32[0];
            r[1] = e32[1];
            if (k.bf16()) {
                double[] e16 = run(k, DType.BF16);
                r[2] = e16[0];
                r[3] = e16[1];
                check(k.name() + " bf16", e16, BF16_TOL);
            }
            check(k.name() + " f32", e32, k.tol32());
        }));
    }

    /**
     * f64 runs through the same kernels (the backend computes f64 in double; convolutions are refused, by design):
     * every case without a convolution, forward and backward, within 1e-10.
     */
    @TestFactory
    Stream<DynamicTest> parityF64() {
        return ParityCases.cases().stream().filter(k -> k.methods().stream().noneMatch(m -> m.startsWith("conv")))
                .map(k -> DynamicTest.dynamicTest(k.name() + " f64", () -> {
                    double[] e = run(k, DType.F64);
                    synchronized (NOTES) { F64_WORST[0] = Math.max(F64_WORST[0], e[0]); F64_WORST[1] = Math.max(F64_WORST[1], e[1]); F64_WORST[2]++; }
                    check(k.name() + " f64", e, 1e-10);
                }));
    }

    private static final double[] F64_WORST = new double[3];

    /** The group-norm cases again with the one-kernel forward and backward (gn_fwd, gn_bwd) instead of the default split forms. */
    @TestFactory
    Stream<DynamicTest> groupNormOneKernelForms() {
        return ParityCases.cases().stream().filter(k -> k.methods().contains("groupNormForward"))
                .map(k -> DynamicTest.dynamicTest(k.name() + " one kernel", () -> {
                    CudaNorm.setSplitKernels(false);   // global: a test running beside this one gets the other form, within the same tolerances
                    try {
                        check(k.name() + " one-kernel f32", run(k, DType.F32), k.tol32());
                        check(k.name() + " one-kernel bf16", run(k, DType.BF16), BF16_TOL);
                    } finally {
                        CudaNorm.setSplitKernels(true);
                    }
                }));
    }

    private static void check(String what, double[] err, double tol) {
        assertTrue(err[0] <= tol, what + ": output error " + err[0] + " > " + tol);
        if (err[1] >= 0) assertTrue(err[1] <= tol, what + ": gradient error " + err[1] + " > " + tol);
    }

    /** {output error, worst gradient error (or -1 without backward)} for one dtype. */
    private static double[] run(ParityCases.Case k, DType dt) {
        Tensor[] in = k.inputs();
        Tensor[] ref = new Tensor[in.length], dev = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) {
            Tensor base = dt == DType.BF16 ? in[i].to(DType.BF16).to(DType.F32) : dt == DType.F64 ? in[i].to(DType.F64) : in[i];  // both sides see the same values
            ref[i] = base.detach();
            dev[i] = base.to(dt).to(cuda).detach();
            if (k.grad()) { ref[i].requiresGrad(true); dev[i].requiresGrad(true); }
        }
        Tensor yRef = k.f().apply(ref), yDev = k.f().apply(dev);
        assertEquals(cuda, yDev.device(), k.name() + " ran off the GPU");
        assertArrayEquals(yRef.shape(), yDev.shape(), k.name() + ": shapes differ");
        double outErr = relErr(yRef.toDoubleArray(), yDev.toDoubleArray());
        if (!k.grad()) return new double[] {outErr, -1};
        Tensor w = Tensor.randn(new Generator(k.name().hashCode()), yRef.shape());
        if (dt == DType.BF16) w = w.to(DType.BF16).to(DType.F32);
        if (dt == DType.F64) w = w.to(DType.F64);
        yRef.mul(w).sum().backward();
        yDev.mul(w.to(dt).to(cuda)).sum().backward();
        double gradErr = 0;
        for (int i = 0; i < in.length; i++) {
            Tensor gr = ref[i].grad(), gd = dev[i].grad();
            assertEquals(gr == null, gd == null, k.name() + ": gradient of input " + i + " present on one side only");
            if (gr == null) continue;
            assertEquals(cuda, gd.device());
            gradErr = Math.max(gradErr, relErr(gr.toDoubleArray(), gd.toDoubleArray()));
        }
        return new double[] {outErr, gradErr};
    }

    /** max |a - b| / max |a|, NaN where either side has a NaN the other lacks (NaN fails every check). */
    static double relErr(double[] ref, double[] got) {
        assertEquals(ref.length, got.length);
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            boolean nr = Double.isNaN(ref[i]), ng = Double.isNaN(got[i]);
            if (nr || ng) { if (nr != ng) return Double.NaN; continue; }
            if (Double.isInfinite(ref[i]) || Double.isInfinite(got[i])) { if (ref[i] != got[i]) return Double.NaN; continue; }
            num = Math.max(num, Math.abs(ref[i] - got[i]));
            den = Math.max(den, Math.abs(ref[i]));
        }
        return num == 0 ? 0 : num / Math.max(den, 1e-30);
    }

    // ------------------------------------------------------------------ direct checks

    @Test
    void transfersKeepEveryBitForEveryDtype() {
        int n = 1031;
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        float[] f = new float[n]; double[] d = new double[n]; long[] l = new long[n]; int[] i = new int[n]; short[] s = new short[n];
        for (int k = 0; k < n; k++) { f[k] = (float) r.nextGaussian(); d[k] = r.nextGaussian(); l[k] = r.nextLong(); i[k] = r.nextInt(); s[k] = (short) r.nextInt(); }
        int[] shape = {1031};
        assertArrayEquals(f, (float[]) gpu.toArray(gpu.fromArray(f, shape, DType.F32)));
        assertArrayEquals(d, (double[]) gpu.toArray(gpu.fromArray(d, shape, DType.F64)));
        assertArrayEquals(l, (long[]) gpu.toArray(gpu.fromArray(l, shape, DType.I64)));
        assertArrayEquals(i, (int[]) gpu.toArray(gpu.fromArray(i, shape, DType.I32)));
        assertArrayEquals(s, (short[]) gpu.toArray(gpu.fromArray(s, shape, DType.BF16)));
        assertArrayEquals(s, (short[]) gpu.toArray(gpu.fromArray(s, shape, DType.F16)));
        // larger than one staging chunk, and a strided view read back through a gather
        float[] big = new float[5_000_001];
        for (int k = 0; k < big.length; k++) big[k] = k * 0.5f - 7;
        Tensor t = gpu.fromArray(big, new int[] {big.length}, DType.F32);
        assertArrayEquals(big, (float[]) gpu.toArray(t));
        Tensor v = Tensor.of(f, n).to(cuda).slice(0, 3, 1000, 7);
        assertArrayEquals(Tensor.of(f, n).slice(0, 3, 1000, 7).toFloatArray(), v.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> gpu.fromArray(new float[3], new int[] {3}, DType.F64));
    }

    @Test
    void fillsAndCastsMatchTheCpuForEveryPair() {
        DType[] all = DType.values();
        double[] special = {0, -0.0, 1.5, -2.75, 1e-3, 65504, 3.0e38, Double.NaN, Double.POSITIVE_INFINITY, -1e10, 123456789.7};
        Tensor src64 = Tensor.of(concat(special, Tensor.randn(new Generator(9), DType.F64, Device.CPU, 200).mul(1000).toDoubleArray()), special.length + 200);
        for (DType from : all) {
            Tensor cpuFrom = src64.to(from);  // CPU rounding into the source type
            Tensor devFrom = cpuFrom.to(cuda);
            for (DType to : all) {
                Tensor a = Backends.cpu().cast(cpuFrom, to), b = gpu.cast(devFrom, to);
                assertSameValues(Backends.cpu().toArray(a), gpu.toArray(b), to, "cast " + from.id() + " -> " + to.id());
            }
            for (double v : new double[] {0, 1.25, -3, 70000.3}) {
                assertSameValues(Backends.cpu().toArray(Backends.cpu().full(new int[] {3, 5}, from, v)),
                        gpu.toArray(gpu.full(new int[] {3, 5}, from, v)), from, "full(" + v + ")");
            }
        }
        // copyInto a transposed, stepped destination with a broadcast source, and a gather of negative strides
        Tensor dstC = Tensor.zeros(6, 8), dstG = dstC.to(cuda);
        Tensor src = Tensor.randn(new Generator(3), 4, 1);
        Backends.cpu().copyInto(dstC.mT().slice(0, 1, 8, 2).slice(1, 1, 5), src.expand(4, 4));
        gpu.copyInto(dstG.mT().slice(0, 1, 8, 2).slice(1, 1, 5), src.to(cuda).expand(4, 4));
        assertArrayEquals(dstC.toFloatArray(), dstG.toFloatArray());
        Tensor x = Tensor.randn(new Generator(4), 3, 4, 5);
        assertArrayEquals(x.flip(0, 2).permute(1, 2, 0).contiguous().toFloatArray(), x.to(cuda).flip(0, 2).permute(1, 2, 0).contiguous().toFloatArray());
    }

    /** Same values element by element: exact bits, except that any NaN equals any NaN (payloads carry no meaning). */
    private static void assertSameValues(Object cpu, Object dev, DType t, String what) {
        double[] a = decode(cpu, t), b = decode(dev, t);
        assertEquals(a.length, b.length, what);
        for (int i = 0; i < a.length; i++) {
            boolean same = Double.isNaN(a[i]) ? Double.isNaN(b[i]) : Double.doubleToRawLongBits(a[i]) == Double.doubleToRawLongBits(b[i]);
            assertTrue(same, what + " differs from the CPU at " + i + ": " + a[i] + " vs " + b[i]);
        }
    }

    private static double[] decode(Object arr, DType t) {
        int n = java.lang.reflect.Array.getLength(arr);
        double[] d = new double[n];
        for (int i = 0; i < n; i++)
            d[i] = switch (t) {
                case F32 -> ((float[]) arr)[i];
                case F64 -> ((double[]) arr)[i];
                case I64 -> ((long[]) arr)[i];
                case I32 -> ((int[]) arr)[i];
                case BF16 -> Bf16.toFloat(((short[]) arr)[i]);
                case F16 -> Float.float16ToFloat(((short[]) arr)[i]);
            };
        return d;
    }

    private static double[] concat(double[] a, double[] b) {
        double[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void philoxStreamsEqualTheCpus() {
        double worstNormal = 0;
        for (int[] shape : new int[][] {{1}, {3}, {7, 5}, {2, 3, 1001}}) {
            for (long offset : new long[] {0, 5, 1L << 33}) {
                long seed = 0x1234_5678_9ABCL + shape.length;
                for (DType dt : new DType[] {DType.F32, DType.F64, DType.BF16}) {
                    double[] a = Backends.cpu().cast(Backends.cpu().normal(shape, dt, seed, offset), DType.F64).toDoubleArray();
                    double[] b = gpu.cast(gpu.normal(shape, dt, seed, offset), DType.F64).toDoubleArray();
                    for (int i = 0; i < a.length; i++) worstNormal = Math.max(worstNormal, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
                    assertArrayEquals(Backends.cpu().cast(Backends.cpu().uniform(shape, dt, seed, offset), DType.F64).toDoubleArray(),
                            gpu.cast(gpu.uniform(shape, dt, seed, offset), DType.F64).toDoubleArray(), "uniform " + dt.id());
                }
                assertArrayEquals((long[]) Backends.cpu().toArray(Backends.cpu().randint(shape, -7, 1000003, seed, offset)),
                        (long[]) gpu.toArray(gpu.randint(shape, -7, 1000003, seed, offset)), "randint");
            }
        }
        // f32/bf16 normals may differ by one rounding where libm's last bits differ; f64 by a few ulps
        synchronized (NOTES) { NOTES.add(String.format(Locale.ROOT, "philox: uniform and randint identical; normal max rel diff %.2e", worstNormal)); }
        assertTrue(worstNormal < 1e-6, "normal draws differ from the CPU's by " + worstNormal);
        // a Generator-driven draw lands on the same stream on either device
        assertArrayEquals(Tensor.randn(new Generator(42), 5, 7).toFloatArray(), Tensor.randn(new Generator(42), DType.F32, cuda, 5, 7).toFloatArray(), 1e-6f);
    }

    @Test
    void anOutOfRangeIndexIsReportedAtTheNextRead() {
        Tensor x = Tensor.randn(new Generator(1), 4, 3).to(cuda);
        Tensor bad = Tensor.ofLongs(new long[] {0, 4}, 2).to(cuda);
        Tensor y = gpu.indexSelect(x, 0, bad);
        assertThrows(IndexOutOfBoundsException.class, y::toFloatArray);
        assertEquals(4 * 3, x.toFloatArray().length, "the flag is cleared once reported");
    }

    // ------------------------------------------------------------------ memory

    @Test
    void memoryStaysFlatOver200AllocateAndDropIterations() {
        gpu.collectGarbage();
        Tensor x = Tensor.randn(new Generator(11), DType.F32, cuda, 64 << 20);  // 256 MiB
        long[] reserved = new long[200];
        long gcBefore = gpu.forcedCollections();
        double check = 0;
        for (int i = 0; i < reserved.length; i++) {
            Tensor y = x.mul(x).add(1.0).sqrt();  // three 256 MiB temporaries per iteration, dropped unclosed
            if (i % 50 == 0) check += y.slice(0, 0, 1).item();
            reserved[i] = gpu.memoryStats().reservedBytes();
        }
        long firstHalf = 0, secondHalf = 0;
        for (int i = 0; i < 100; i++) firstHalf = Math.max(firstHalf, reserved[i]);
        for (int i = 100; i < 200; i++) secondHalf = Math.max(secondHalf, reserved[i]);
        long gcs = gpu.forcedCollections() - gcBefore;
        gpu.collectGarbage();
        long liveAfter = gpu.memoryStats().allocatedBytes();
        String note = String.format(Locale.ROOT, "memory, 200 x 768 MiB allocate-and-drop: reserved max %d MiB (iterations 0-99) vs %d MiB (100-199), "
                + "%d forced GCs, %d MiB live after (x is 256 MiB), %.1f GiB allocated in all", firstHalf >> 20, secondHalf >> 20, gcs,
                liveAfter >> 20, 200 * 0.75);
        synchronized (NOTES) { NOTES.add(note); }
        System.out.println(note + " " + check);
        // bounded: collections run beside the allocating thread, which may take blocks from the driver meanwhile, but
        // never more than the collection budget's worth before it waits; without collections this loop would reserve 150 GiB
        assertTrue(secondHalf <= 2 * gpu.collectionThresholdBytes() + (1L << 30), note);
        assertTrue(gcs > 0, "no collection was forced: " + note);
        assertTrue(liveAfter < (300L << 20) + (64L << 20), "dropped tensors still hold memory: " + note);
    }

    @Test
    void aTrainingLoopRunsAtFlatMemory() {
        gpu.collectGarbage();
        Generator g = new Generator(21);
        // about 200 MiB of activations and gradients per step: enough steps for four collection cycles at least
        Tensor x = Tensor.randn(g, DType.F32, cuda, 64, 16, 32, 32), target = Tensor.randn(g, DType.F32, cuda, 64, 16, 32, 32);
        // the parameters live only in this array, which each step refills with the updated ones
        Tensor[] params = {
            Tensor.randn(g, DType.F32, cuda, 64, 16, 3, 3).mul(0.08).detach().requiresGrad(true),
            Tensor.zeros(DType.F32, cuda, 64).requiresGrad(true),
            Tensor.full(1, DType.F32, cuda, 64).requiresGrad(true),
            Tensor.zeros(DType.F32, cuda, 64).requiresGrad(true),
            Tensor.randn(g, DType.F32, cuda, 16, 64, 3, 3).mul(0.04).detach().requiresGrad(true)};
        gpu.collectGarbage();
        long liveBefore = gpu.memoryStats().allocatedBytes(), gcBefore = gpu.forcedCollections();
        int steps = (int) Math.max(100, 4 * gpu.collectionThresholdBytes() / (200L << 20));
        long[] reserved = new long[steps];
        double first = 0, last = 0;
        for (int step = 0; step < steps; step++) {
            Tensor h = F.groupNormSilu(F.conv2d(x, params[0], params[1], 1, 1), 8, params[2], params[3], 1e-5);
            Tensor y = F.conv2d(h, params[4], null, 1, 1);
            Tensor loss = F.mseLoss(y, target);
            loss.backward();
            for (int i = 0; i < params.length; i++)
                params[i] = params[i].detach().sub(params[i].grad().mul(0.05)).detach().requiresGrad(true);
            if (step == 0) first = loss.item();
            if (step == steps - 1) last = loss.item();
            reserved[step] = gpu.memoryStats().reservedBytes();
        }
        long early = 0, late = 0;
        for (int i = 0; i < steps / 2; i++) early = Math.max(early, reserved[i]);
        for (int i = steps / 2; i < steps; i++) late = Math.max(late, reserved[i]);
        long gcs = gpu.forcedCollections() - gcBefore;
        gpu.collectGarbage();
        long liveAfter = gpu.memoryStats().allocatedBytes();
        String note = String.format(Locale.ROOT, "training loop, %d SGD steps (conv-GN+SiLU-conv, batch 64x16x32x32): loss %.4f -> %.4f, "
                + "reserved max %d MiB (first half) vs %d MiB (second half), %d forced GCs, live %d KiB before vs %d KiB after",
                steps, first, last, early >> 20, late >> 20, gcs, liveBefore >> 10, liveAfter >> 10);
        synchronized (NOTES) { NOTES.add(note); }
        System.out.println(note);
        assertTrue(last < first, "the loss did not go down: " + note);
        // levelled off (best-fit reuse leaves a little slack for size classes drifting with GC timing) and nothing leaks
        assertTrue(late <= early + early / 10, note);
        // a leak would grow by at least a step's worth; a few small tensors may still sit in dead stack slots
        assertTrue(liveAfter <= liveBefore + (64 << 10), "live memory grew over the loop: " + note);
    }
}
