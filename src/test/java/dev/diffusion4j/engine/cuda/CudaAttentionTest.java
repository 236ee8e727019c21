package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Autocast;
import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The fused attention kernels (CudaAttention) against the CPU backend computing in f64 from the same input values:
 * out, log-sum-exp and dq/dk/dv (the backward of sum(out * w), w random), in f32 and bf16, through
 * F.scaledDotProductAttention and autograd. Shapes: DiT's (256 and 1024 tokens, head dims 64 and 72), Lq != Lk with
 * ragged tiles, D != Dv, head dims 8 to 256, and strided views (a head split of a fused qkv, a transposed k, batch
 * dims that do not fold and are copied). Errors are max |cuda - ref| / max |ref|; a table goes to stdout and to
 * $OUT/attention.txt.
 */
@Tag("gpu")
class CudaAttentionTest {
    private static final double F32_OUT_TOL = 1e-5, F32_GRAD_TOL = 5e-5, LSE_TOL = 1e-5;
    private static final double BF16_TOL = CudaParityTest.BF16_TOL, TF32_TOL = BF16_TOL / 4;
    private static final Map<String, String> RESULTS = new ConcurrentSkipListMap<>();
    private static CudaBackend gpu;
    private static Device cuda;
    private static boolean cudnnDefault;

    @BeforeAll
    static void openDevice() {
        boolean ok = CudaBackendFactory.available();
        if (!ok) System.out.println("CudaAttentionTest skipped: " + CudaLibraries.unavailableReason());
        Assumptions.assumeTrue(ok, () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        cuda = Device.cuda(0);
        gpu = (CudaBackend) Backends.get(cuda);
        CudaBackend.setAllowTf32(false);
        CudaAttention.setUse(CudaAttention.Use.ALWAYS);   // the cases are small: auto would give them to the composed path
        cudnnDefault = CudaAttention.setCudnn(false);   // the kernels, unless a case asks for cuDNN's engines (withCudnn)
    }

    @AfterAll
    static void summary() throws IOException {
        if (gpu == null) return;
        CudaAttention.setUse(CudaAttention.Use.AUTO);
        CudaAttention.setCudnn(cudnnDefault);
        StringBuilder sb = new StringBuilder("==== fused attention vs CPU f64 (max |cuda-ref| / max |ref|)\n");
        sb.append(String.format(Locale.ROOT, "%-52s %9s %9s %9s %9s %9s%n", "case", "out", "lse", "dq", "dk", "dv"));
        RESULTS.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%-52s %s%n", k, v)));
        System.out.print(sb);
        String out = System.getenv("OUT");
        if (out != null) Files.writeString(Path.of(out, "attention.txt"), sb.toString());
    }

    /** An operand: a random contiguous tensor of {@code base} shape, read through {@code view} (identity for most). */
    record Operand(int[] base, UnaryOperator<Tensor> view) {
        static Operand dense(int... shape) { return new Operand(shape, t -> t); }
    }

    record Case(String name, Operand q, Operand k, Operand v) {}

    static List<Case> cases() {
        return List.of(
                new Case("DiT 32x32/p2 [2,4,256,64]", Operand.dense(2, 4, 256, 64), Operand.dense(2, 4, 256, 64), Operand.dense(2, 4, 256, 64)),
                new Case("DiT-XL 64x64/p2 [1,6,1024,72]", Operand.dense(1, 6, 1024, 72), Operand.dense(1, 6, 1024, 72), Operand.dense(1, 6, 1024, 72)),
                new Case("Lq 64, Lk 77 [3,2,*,32]", Operand.dense(3, 2, 64, 32), Operand.dense(3, 2, 77, 32), Operand.dense(3, 2, 77, 32)),
                new Case("Lq 77, Lk 64, D 40, Dv 24", Operand.dense(2, 3, 77, 40), Operand.dense(2, 3, 64, 40), Operand.dense(2, 3, 64, 24)),
                new Case("SD cross-attention D 40, Lk 77 [2,4,150,40]", Operand.dense(2, 4, 150, 40), Operand.dense(2, 4, 77, 40), Operand.dense(2, 4, 77, 40)),
                new Case("SD head dim 160 [1,2,90,160]", Operand.dense(1, 2, 90, 160), Operand.dense(1, 2, 90, 160), Operand.dense(1, 2, 90, 160)),
                new Case("head dim 128 [2,2,100,128]", Operand.dense(2, 2, 100, 128), Operand.dense(2, 2, 100, 128), Operand.dense(2, 2, 100, 128)),
                // rows of 100 bf16 are not 16-byte chunks: the pipelined kernels fall back to the single-buffered form, whose
                // dK/dV tiles at the padded 112 need more shared memory than the pipelined ones
                new Case("head dim 100 [2,2,70,100], rows not 16-byte chunks", Operand.dense(2, 2, 70, 100), Operand.dense(2, 2, 50, 100),
                        Operand.dense(2, 2, 50, 100)),
                new Case("head dim 256 [1,2,130,256]", Operand.dense(1, 2, 130, 256), Operand.dense(1, 2, 130, 256), Operand.dense(1, 2, 130, 256)),
                new Case("rank 3, D 8, L 5 [3,5,8]", Operand.dense(3, 5, 8), Operand.dense(3, 5, 8), Operand.dense(3, 5, 8)),
                // [N, L, H, 3D] split into heads: q, k, v are [N, H, L, D] views (batch strides L*H*3D and 3D)
                new Case("head-split views of [2,96,4,3*64]",
                        new Operand(new int[] {2, 96, 4, 192}, t -> t.slice(3, 0, 64).permute(0, 2, 1, 3)),
                        new Operand(new int[] {2, 96, 4, 192}, t -> t.slice(3, 64, 128).permute(0, 2, 1, 3)),
                        new Operand(new int[] {2, 96, 4, 192}, t -> t.slice(3, 128, 192).permute(0, 2, 1, 3))),
                new Case("k transposed ([N,H,D,L].mT()), v offset",
                        Operand.dense(2, 4, 96, 64),
                        new Operand(new int[] {2, 4, 64, 96}, Tensor::mT),
                        new Operand(new int[] {2, 4, 97, 64}, t -> t.slice(2, 1, 97))),
                new Case("batch [2,3,4] that does not fold (copied)",
                        new Operand(new int[] {4, 3, 2, 40, 32}, t -> t.permute(2, 1, 0, 3, 4)),
                        Operand.dense(2, 3, 4, 50, 32), Operand.dense(2, 3, 4, 50, 32)));
    }

    /** Each case in f32 (exact and TF32) and in bf16, on the tensor-core kernels and on the f32-arithmetic ones. */
    @TestFactory
    Stream<DynamicTest> parityWithTheCpu() {
        return cases().stream().flatMap(c -> Stream.of(
                DynamicTest.dynamicTest(c.name() + " f32", () -> check(c, DType.F32, "")),
                DynamicTest.dynamicTest(c.name() + " f32 TF32 tensor cores", () -> withTf32(() -> check(c, DType.F32, " tf32"))),
                DynamicTest.dynamicTest(c.name() + " f32 TF32 tensor-core backward", () -> withTf32(() -> withoutRecomputation(
                        () -> check(c, DType.F32, " tf32 kernels")))),
                DynamicTest.dynamicTest(c.name() + " bf16 tensor cores", () -> withTensorCores(true, () -> check(c, DType.BF16, " tc"))),
                DynamicTest.dynamicTest(c.name() + " bf16 cuDNN", () -> withCudnn(() -> check(c, DType.BF16, " cudnn"))),
                DynamicTest.dynamicTest(c.name() + " bf16", () -> withTensorCores(false, () -> check(c, DType.BF16, "")))));
    }

    private static void withTf32(Runnable r) {
        CudaBackend.setAllowTf32(true);
        try {
            r.run();
        } finally {
            CudaBackend.setAllowTf32(false);
        }
    }

    /** Every TF32 backward on the tensor-core kernels rather than on probabilities recomputed with cuBLAS. */
    private static void withoutRecomputation(Runnable r) {
        CudaAttention.setRecomputeMaxScoresBytes(0);
        try {
            r.run();
        } finally {
            CudaAttention.setRecomputeMaxScoresBytes(CudaAttention.RECOMPUTE_MAX_SCORES_BYTES);
        }
    }

    /** bf16 calls through cuDNN's flash engines where they take the shape (the kernels elsewhere). */
    private static void withCudnn(Runnable r) {
        boolean before = CudaAttention.setCudnn(true);
        try {
            r.run();
        } finally {
            CudaAttention.setCudnn(before);
        }
    }

    /**
     * On Hopper, cuDNN's engines take DiT's packed attention (bf16, head dim 64), forward and backward, and give the
     * kernels' values within bf16's bound; the backward gives the same bits twice. Refusals are printed (they say why).
     */
    @Test
    void cudnnTakesDiTsPackedAttentionOnHopper() {
        Assumptions.assumeTrue(gpu.context().properties().computeCapability() >= 90, "cuDNN's flash engines: Hopper and later");
        CudnnAttention engines = gpu.attentionKernels().cudnnAttention();
        long[] before = engines.runs();
        Tensor base = Tensor.randn(new Generator(90), 4, 256, 3, 6, 64).to(DType.BF16).to(cuda);
        Tensor w = Tensor.randn(new Generator(91), 4, 6, 256, 64).to(DType.BF16).to(cuda);
        Tensor qkv = base.permute(2, 0, 3, 1, 4);
        Tensor[] kernels = gpu.attentionPacked(qkv, 0.125);
        Tensor gKernels = gpu.attentionPackedBackward(w, qkv, 0.125, kernels[0], kernels[1]);
        Tensor[][] viaCudnn = new Tensor[2][];
        Tensor[] grads = new Tensor[2];
        withCudnn(() -> {
            for (int i = 0; i < 2; i++) {
                viaCudnn[i] = gpu.attentionPacked(qkv, 0.125);
                grads[i] = gpu.attentionPackedBackward(w, qkv, 0.125, viaCudnn[i][0], viaCudnn[i][1]);
            }
        });
        long[] after = engines.runs();
        engines.refusals().forEach((k, why) -> System.out.println("cuDNN attention refused " + k + ": " + why));
        System.out.println("cuDNN version " + Cudnn.version() + ", runs " + java.util.Arrays.toString(after));
        assertTrue(after[0] >= before[0] + 2, "cuDNN ran the forwards");
        assertTrue(after[1] >= before[1] + 2, "cuDNN ran the backwards");
        double eOut = CudaParityTest.relErr(kernels[0].toDoubleArray(), viaCudnn[0][0].toDoubleArray());
        double eLse = CudaParityTest.relErr(kernels[1].toDoubleArray(), viaCudnn[0][1].toDoubleArray());
        double eGrad = CudaParityTest.relErr(gKernels.toDoubleArray(), grads[0].toDoubleArray());
        RESULTS.put("packed qkv [4,256,3,6,64] bf16 cuDNN vs kernels", String.format(Locale.ROOT, "%9.2e %9.2e %9.2e (dqkv)", eOut, eLse, eGrad));
        assertTrue(eOut <= BF16_TOL, "output error " + eOut);
        assertTrue(eLse <= LSE_TOL, "log-sum-exp error " + eLse);
        assertTrue(eGrad <= BF16_TOL, "qkv gradient error " + eGrad);
        assertArrayEquals(grads[0].toDoubleArray(), grads[1].toDoubleArray(), "the cuDNN backward is deterministic");
        assertTrue(viaCudnn[0][0].transpose(1, 2).isContiguous(), "out is laid out as [B, L, H, D]");
    }

    private static void withTensorCores(boolean on, Runnable r) {
        CudaAttention.setTensorCores(on);
        try {
            r.run();
        } finally {
            CudaAttention.setTensorCores(true);
        }
    }

    private static void check(Case c, DType dt, String tag) {
        long seed = c.name().hashCode();
        Operand[] ops = {c.q(), c.k(), c.v()};
        Tensor[] ref = new Tensor[3], dev = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            Tensor base = Tensor.randn(new Generator(seed + i), ops[i].base());
            if (dt == DType.BF16) base = base.to(DType.BF16).to(DType.F32);   // both sides see the same values
            ref[i] = ops[i].view().apply(base.to(DType.F64)).detach().requiresGrad(true);
            dev[i] = ops[i].view().apply(base.to(dt).to(cuda)).detach().requiresGrad(true);
        }
        int r = ref[0].rank();
        double scale = 1 / Math.sqrt(ref[0].shape(r - 1));
        Tensor[] fwd = gpu.attention(dev[0].detach(), dev[1].detach(), dev[2].detach(), null, scale);
        assertTrue(CudaAttention.holdsLse(fwd[1], dev[0]), c.name() + ": the fused kernel did not take this case");

        Tensor yRef = F.scaledDotProductAttention(ref[0], ref[1], ref[2]), yDev = F.scaledDotProductAttention(dev[0], dev[1], dev[2]);
        assertEquals(dt, yDev.dtype());
        assertArrayEquals(yRef.shape(), yDev.shape());
        Tensor w = Tensor.randn(new Generator(seed + 7), yRef.shape());
        if (dt == DType.BF16) w = w.to(DType.BF16).to(DType.F32);
        yRef.mul(w.to(DType.F64)).sum().backward();
        yDev.mul(w.to(dt).to(cuda)).sum().backward();

        double[] err = new double[5];
        // the larger of the differentiated forward's error and the detached one's (beyond 128 head dims only the
        // latter runs on the tensor cores)
        err[0] = Math.max(CudaParityTest.relErr(yRef.toDoubleArray(), yDev.toDoubleArray()),
                CudaParityTest.relErr(yRef.toDoubleArray(), fwd[0].toDoubleArray()));
        err[1] = CudaParityTest.relErr(lse(ref, scale).toDoubleArray(), fwd[1].toDoubleArray());
        for (int i = 0; i < 3; i++) {
            assertNotNull(dev[i].grad(), c.name() + ": no gradient for input " + i);
            assertEquals(dt, dev[i].grad().dtype());
            err[2 + i] = CudaParityTest.relErr(ref[i].grad().toDoubleArray(), dev[i].grad().toDoubleArray());
        }
        RESULTS.put(c.name() + " " + dt.id() + tag, String.format(Locale.ROOT, "%9.2e %9.2e %9.2e %9.2e %9.2e", err[0], err[1], err[2], err[3], err[4]));
        boolean tf32 = tag.startsWith(" tf32");   // operands rounded to 10 mantissa bits: a quarter of bf16's error bound
        double outTol = dt == DType.BF16 ? BF16_TOL : tf32 ? TF32_TOL : F32_OUT_TOL, gradTol = dt == DType.BF16 ? BF16_TOL : tf32 ? TF32_TOL : F32_GRAD_TOL;
        assertTrue(err[0] <= outTol, c.name() + " " + dt.id() + ": output error " + err[0] + " > " + outTol);
        double lseTol = tf32 ? TF32_TOL : LSE_TOL;   // bf16 inputs are exact in the f32 products; TF32 rounds f32 inputs
        assertTrue(err[1] <= lseTol, c.name() + " " + dt.id() + tag + ": log-sum-exp error " + err[1] + " > " + lseTol);
        String[] names = {"dq", "dk", "dv"};
        for (int i = 0; i < 3; i++)
            assertTrue(err[2 + i] <= gradTol, c.name() + " " + dt.id() + ": " + names[i] + " error " + err[2 + i] + " > " + gradTol);
    }

    /** log(sum(exp(q k^T * scale))) per query row, in f64 on the CPU. */
    private static Tensor lse(Tensor[] ref, double scale) {
        try (var off = GradMode.off()) {
            Tensor s = ref[0].detach().matmul(ref[1].detach().mT()).mul(scale);
            return s.exp().sum(s.rank() - 1, false).log();
        }
    }

    /**
     * DiT's packed attention: qkv [B, L, 3, H, D] from one projection, split into heads as a view. The tensor-core kernels
     * read it in place, write out laid out as [B, L, H, D] (so merging the heads is free) and the gradient laid out as
     * qkv; values against the CPU in f64. In TF32 the gradient comes from the probabilities recomputed with cuBLAS and is
     * written into the same packed layout.
     */
    @TestFactory
    Stream<DynamicTest> packedQkvIsReadAndWrittenInPlace() {
        return Stream.of(DynamicTest.dynamicTest("bf16", () -> packed(DType.BF16, "bf16 tc", BF16_TOL)),
                DynamicTest.dynamicTest("f32 TF32", () -> withTf32(() -> packed(DType.F32, "f32 tf32", TF32_TOL))));
    }

    private void packed(DType dt, String label, double tol) {
        int b = 2, l = 100, h = 3, d = 64;
        Tensor base = Tensor.randn(new Generator(80), b, l, 3, h, d).to(DType.BF16).to(DType.F32);
        Tensor w = Tensor.randn(new Generator(81), b, h, l, d).to(DType.BF16).to(DType.F32);
        Tensor ref = base.to(DType.F64).requiresGrad(true), dev = base.to(dt).to(cuda).requiresGrad(true);
        Tensor yRef = F.scaledDotProductAttentionPacked(ref.permute(2, 0, 3, 1, 4), Double.NaN);
        Tensor yDev = F.scaledDotProductAttentionPacked(dev.permute(2, 0, 3, 1, 4), Double.NaN);
        assertTrue(yDev.transpose(1, 2).isContiguous(), "out is laid out as [B, L, H, D]");
        yRef.mul(w.to(DType.F64)).sum().backward();
        yDev.mul(w.to(dt).to(cuda)).sum().backward();
        double eOut = CudaParityTest.relErr(yRef.toDoubleArray(), yDev.toDoubleArray());
        double eGrad = CudaParityTest.relErr(ref.grad().toDoubleArray(), dev.grad().toDoubleArray());
        RESULTS.put("packed qkv [2,100,3,3,64] " + label, String.format(Locale.ROOT, "%9.2e %9s %9.2e (dqkv)", eOut, "", eGrad));
        assertTrue(eOut <= tol, "output error " + eOut);
        assertTrue(eGrad <= tol, "qkv gradient error " + eGrad);
        Tensor qkv = dev.detach().permute(2, 0, 3, 1, 4);
        Tensor[] fwd = gpu.attentionPacked(qkv, 0.125);
        assertTrue(fwd[2] == qkv, "the tensor-core path reads the strided qkv without a copy");
        Tensor grad = gpu.attentionPackedBackward(w.to(dt).to(cuda), qkv, 0.125, fwd[0], fwd[1]);
        assertArrayEquals(qkv.strides(), grad.strides(), "the gradient is laid out as qkv");
    }

    /** Under bf16 autocast, f32 leaves reach the kernels as bf16 and get f32 gradients back. */
    @Test
    void autocastRunsTheBf16KernelsWithF32Gradients() {
        int[] shape = {2, 3, 70, 64};
        Tensor[] ref = new Tensor[3], dev = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            Tensor base = Tensor.randn(new Generator(40 + i), shape).to(DType.BF16).to(DType.F32);
            ref[i] = base.to(DType.F64).requiresGrad(true);
            dev[i] = base.to(cuda).requiresGrad(true);
        }
        Tensor w = Tensor.randn(new Generator(50), shape).to(DType.BF16).to(DType.F32);
        Tensor yDev;
        try (var ac = Autocast.bf16()) {
            yDev = F.scaledDotProductAttention(dev[0], dev[1], dev[2]);
        }
        assertEquals(DType.BF16, yDev.dtype());
        yDev.to(DType.F32).mul(w.to(cuda)).sum().backward();
        Tensor yRef = F.scaledDotProductAttention(ref[0], ref[1], ref[2]);
        yRef.mul(w.to(DType.F64)).sum().backward();
        assertTrue(CudaParityTest.relErr(yRef.toDoubleArray(), yDev.toDoubleArray()) <= BF16_TOL);
        for (int i = 0; i < 3; i++) {
            assertEquals(DType.F32, dev[i].grad().dtype());
            double e = CudaParityTest.relErr(ref[i].grad().toDoubleArray(), dev[i].grad().toDoubleArray());
            assertTrue(e <= BF16_TOL, "input " + i + ": gradient error " + e);
        }
    }

    /** The backward reads a strided output gradient in place, and two runs give identical bits (no atomics). */
    @Test
    void backwardReadsAStridedGradientAndIsDeterministic() {
        Generator g = new Generator(60);
        Tensor q = Tensor.randn(g, DType.F32, cuda, 2, 4, 90, 64), k = Tensor.randn(g, DType.F32, cuda, 2, 4, 70, 64);
        Tensor v = Tensor.randn(g, DType.F32, cuda, 2, 4, 70, 48);
        Tensor[] fwd = gpu.attention(q, k, v, null, 0.125);
        Tensor go = Tensor.randn(g, DType.F32, cuda, 2, 90, 4, 48).permute(0, 2, 1, 3);   // [2, 4, 90, 48], strided
        assertFalse(go.isContiguous());
        Tensor[] a = gpu.attentionBackward(go, q, k, v, null, 0.125, fwd[0], fwd[1], false);
        Tensor[] b = gpu.attentionBackward(go.contiguous(), q, k, v, null, 0.125, fwd[0], fwd[1], false);
        for (int i = 0; i < 3; i++) assertArrayEquals(a[i].toFloatArray(), b[i].toFloatArray(), "gradient " + i);
        Tensor[] composed = gpu.attentionBackward(go, q, k, v, null, 0.125, fwd[0], gpu.softmax(q.mul(0.125).matmul(k.mT()), 3, false), false);
        for (int i = 0; i < 3; i++)
            assertTrue(CudaParityTest.relErr(composed[i].toDoubleArray(), a[i].toDoubleArray()) <= F32_GRAD_TOL, "gradient " + i + " vs composed");
    }

    /**
     * The pipelined bf16 forward in blocks of 128 query rows (32 a warp, two row tiles sharing each K and V fragment)
     * gives the bits of 64-row blocks: ragged query lengths (a block's second half partly or wholly past the end), key
     * lengths that are not multiples of 64, head dims 64 and 72 (padded to 80), and a head split of a fused qkv.
     */
    @Test
    void forwardBlocksOf128RowsGiveTheBitsOf64RowBlocks() {
        Generator g = new Generator(80);
        Tensor[][] cases = {
            {bf16(g, 3, 2, 200, 64), bf16(g, 3, 2, 150, 64), bf16(g, 3, 2, 150, 64)},
            {bf16(g, 2, 2, 130, 72), bf16(g, 2, 2, 77, 72), bf16(g, 2, 2, 77, 72)},
            null};
        Tensor qkv = bf16(g, 2, 256, 3, 6, 64).permute(2, 0, 3, 1, 4);   // [3, B, H, L, D] views
        cases[2] = new Tensor[] {qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2)};
        for (Tensor[] c : cases) {
            Tensor[] wide = forwardWithRows(128, c), narrow = forwardWithRows(64, c);
            assertArrayEquals(narrow[0].toFloatArray(), wide[0].toFloatArray(), "out " + java.util.Arrays.toString(c[0].shape()));
            assertArrayEquals(narrow[1].toFloatArray(), wide[1].toFloatArray(), "lse " + java.util.Arrays.toString(c[0].shape()));
        }
    }

    private static Tensor bf16(Generator g, int... shape) { return Tensor.randn(g, DType.F32, cuda, shape).to(DType.BF16); }

    private static Tensor[] forwardWithRows(int rows, Tensor[] qkv) {
        CudaAttention.setForwardRows(rows);
        try {
            return gpu.attention(qkv[0], qkv[1], qkv[2], null, 0.125);
        } finally {
            CudaAttention.setForwardRows(CudaAttention.FORWARD_ROWS);
        }
    }

    /** Masks, f64 and head dims above the largest bucket take the composed path (its P as aux), still correct. */
    @Test
    void uncoveredCasesFallBackToTheComposedPath() {
        Generator g = new Generator(70);
        Tensor q = Tensor.randn(g, DType.F32, cuda, 2, 9, 16), k = Tensor.randn(g, DType.F32, cuda, 2, 11, 16);
        Tensor v = Tensor.randn(g, DType.F32, cuda, 2, 11, 16), mask = Tensor.randn(g, DType.F32, cuda, 9, 11);
        assertFalse(CudaAttention.holdsLse(gpu.attention(q, k, v, mask, 0.25)[1], q));
        assertFalse(CudaAttention.holdsLse(gpu.attention(q.to(DType.F64), k.to(DType.F64), v.to(DType.F64), null, 0.25)[1], q));
        Tensor wide = Tensor.randn(g, DType.F32, cuda, 2, 9, AttentionTiles.MAX_HEAD_DIM + 1);
        Tensor wideK = Tensor.randn(g, DType.F32, cuda, 2, 11, AttentionTiles.MAX_HEAD_DIM + 1);
        assertFalse(CudaAttention.holdsLse(gpu.attention(wide, wideK, v, null, 0.25)[1], wide));
        assertTrue(CudaAttention.holdsLse(gpu.attention(q, k, v, null, 0.25)[1], q));
    }
}
