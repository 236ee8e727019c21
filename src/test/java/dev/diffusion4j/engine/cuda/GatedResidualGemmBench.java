package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Times a DiT sublayer's tail two ways on the GPU, per call, with CUDA events (b256, 256 tokens, bf16 products):
 * today's, the branch's last product (attention projection or fc2) writing a bf16 branch with its bias, then the next
 * norm's pass adding x + gate * branch and normalising the sum (12 bytes an element); and the gated residual inside
 * the product: cuBLASLt batched over the samples, alpha the sample's gate (a device vector over D's rows, the output
 * channels), beta 1 on the f32 stream x as C, the bias gate * b batched, D the new f32 stream; then a plain modulated
 * norm (6 bytes an element). Also checks the fused product against x + gate * (a wᵀ + b) composed in f32.
 * Not a test: {@code java -cp diffusion4j.jar:test-classes dev.diffusion4j.engine.cuda.GatedResidualGemmBench [hidden...]}.
 */
public final class GatedResidualGemmBench {
    private static final int B = 256, L = 256, ROWS = B * L, WARM = 3, TIMED = 20, CANDIDATES = 8;
    // cublasLt.h: matmul descriptor attributes, the pointer mode of an alpha vector over D's rows with a host beta, and
    // the matrix layout's batch attributes
    private static final int DESC_POINTER_MODE = 2, DESC_BIAS_BATCH_STRIDE = 10, DESC_ALPHA_VECTOR_BATCH_STRIDE = 14;
    private static final int ALPHA_VECTOR_BETA_HOST = 4, LAYOUT_BATCH_COUNT = 5, LAYOUT_STRIDED_BATCH_OFFSET = 6;
    private static final MethodHandle LAYOUT_SET = CudaLibraries.cublasLt().downcall("cublasLtMatrixLayoutSetAttribute",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));

    /** Makes a layout strided-batched: count matrices, stride elements apart (0: one matrix for all). */
    private static void batch(long layout, int count, long stride) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(JAVA_INT), s = a.allocate(JAVA_LONG);
            c.set(JAVA_INT, 0, count);
            s.set(JAVA_LONG, 0, stride);
            CublasApi.check((int) LAYOUT_SET.invokeExact(layout, LAYOUT_BATCH_COUNT, c, 4L), "cublasLtMatrixLayoutSetAttribute(batch count)");
            CublasApi.check((int) LAYOUT_SET.invokeExact(layout, LAYOUT_STRIDED_BATCH_OFFSET, s, 8L), "cublasLtMatrixLayoutSetAttribute(batch stride)");
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets an 8-byte attribute (a pointer or an int64 stride) of a matmul descriptor. */
    private static void setDescLong(long desc, int attr, long value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            v.set(JAVA_LONG, 0, value);
            CublasLtApi.setDesc(desc, attr, v, 8);
        }
    }

    public static void main(String[] args) {
        CudaBackend be = (CudaBackend) Backends.get(Device.cuda(0));
        CudaContext ctx = be.context();
        DeviceBuffer ws = ctx.allocate(Cublas.WORKSPACE_BYTES);
        CublasLt lt = new CublasLt(ctx, ws.address(), Cublas.WORKSPACE_BYTES);
        ctx.makeCurrent();
        long handle = CublasLtApi.create();
        System.out.println("cuBLASLt " + CublasLtApi.version() + "; us per call, mean of " + TIMED + " after " + WARM + " warm-up calls");
        int[] hiddens = args.length == 0 ? new int[] {384, 768} : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(JAVA_FLOAT);
            one.set(JAVA_FLOAT, 0, 1f);
            for (int h : hiddens)
                for (int k : new int[] {h, 4 * h}) {
                    String shape = String.format("h%-4d k%-5d", h, k);
                    Tensor a = bf16(new Generator(1), ROWS, k), w = bf16(new Generator(2), h, k), b = bf16(new Generator(3), 1, h).reshape(h);
                    Tensor x = Tensor.randn(new Generator(4), B, L, h).to(Device.cuda(0));
                    Tensor gate = bf16(new Generator(5), B, h), shift = bf16(new Generator(6), B, h), scale = bf16(new Generator(7), B, h);
                    Tensor branch = bf16(new Generator(8), ROWS, h);
                    Cublas.DataType t = Cublas.DataType.BF16;
                    row(ctx, shape + " today: product + bias -> bf16 branch", () -> lt.gemm(false, true, ROWS, h, k, 1f, addr(a), k, addr(w), k,
                            addr(branch), h, addr(b), t, false, CublasLt.Epilogue.BIAS));
                    Tensor branch3 = branch.reshape(B, L, h);
                    row(ctx, shape + " today: gated norm pass              ", () -> be.gatedResidualLayerNormModulate(x, gate, branch3, shift, scale, 1e-6, DType.BF16) != null);

                    Tensor gateF = gate.to(DType.F32), bF = b.to(DType.F32), gateBias = gateF.mul(bF.unsqueeze(0)).contiguous();
                    Tensor out = Tensor.zeros(B, L, h).to(Device.cuda(0));
                    Tensor ref = x.add(gateF.unsqueeze(1).mul(a.to(DType.F32).matmul(w.to(DType.F32).transpose(0, 1)).add(bF).reshape(B, L, h)));
                    for (boolean scaledBias : new boolean[] {false, true}) {
                        // the bias gate * b batched per sample, or b itself (stride 0) in case cuBLASLt scales the bias by alpha
                        long bias = scaledBias ? addr(bF) : addr(gateBias), biasStride = scaledBias ? 0 : h;
                        Fused f = Fused.plan(handle, ws, h, k, bias, biasStride, CublasLtApi.EPILOGUE_BIAS, B, CublasApi.CUDA_R_32F,
                                ALPHA_VECTOR_BETA_HOST);
                        if (f == null) {
                            System.out.println(shape + " fused (bias stride " + biasStride + "): cuBLASLt offered no algorithm");
                            continue;
                        }
                        for (int i = 0; i < f.count; i++) {
                            int c = i;
                            row(ctx, shape + " fused: gated product -> f32 stream, bias stride " + biasStride + ", candidate " + c,
                                    () -> f.run(handle, ws, c, one, addr(gateF), addr(a), addr(w), addr(x), addr(out), ctx.stream()) == 0);
                        }
                        f.run(handle, ws, 0, one, addr(gateF), addr(a), addr(w), addr(x), addr(out), ctx.stream());
                        double err = out.sub(ref).abs().max().item(), mag = ref.abs().max().item();
                        System.out.printf("%s fused, bias stride %d: max |D - (x + gate (a wT + b))| = %.3e (|ref| up to %.2f)%n", shape, biasStride, err, mag);
                        f.close();
                    }
                    // which of the alpha-vector forms cuBLASLt takes at all for bf16 operands (the first candidate timed)
                    for (int form = 0; form < 4; form++) {
                        int epilogue = form == 0 ? CublasLtApi.EPILOGUE_DEFAULT : CublasLtApi.EPILOGUE_BIAS;
                        int batch = form == 1 ? 1 : B, cType = form == 2 ? CublasApi.CUDA_R_16BF : CublasApi.CUDA_R_32F;
                        int mode = form == 3 ? 3 : ALPHA_VECTOR_BETA_HOST;
                        String what = new String[] {"no bias", "one batch (alpha per channel)", "C and D bf16", "beta zero mode"}[form];
                        Fused f = Fused.plan(handle, ws, h, k, addr(gateBias), batch == 1 ? 0 : h, epilogue, batch, cType, mode);
                        if (f == null) {
                            System.out.println(shape + " fused, " + what + ": cuBLASLt offered no algorithm");
                            continue;
                        }
                        row(ctx, shape + " fused, " + what, () -> f.run(handle, ws, 0, one, addr(gateF), addr(a), addr(w), addr(x), addr(out), ctx.stream()) == 0);
                        f.close();
                    }
                    row(ctx, shape + " fused: plain norm pass              ", () -> be.layerNormModulate(x, shift, scale, 1e-6, DType.BF16) != null);
                }
        }
        CublasLtApi.destroy(handle);
    }

    /** A batched plan: A = w (shared), B = the sample's rows of a, C = D = the f32 stream, alpha the gate. */
    private record Fused(long desc, long aL, long bL, long cL, MemorySegment results, int count) {
        static Fused plan(long handle, DeviceBuffer ws, int h, int k, long bias, long biasStride, int epilogue, int batch, int cType, int mode) {
            long desc = CublasLtApi.matmulDesc(CublasApi.CUBLAS_COMPUTE_32F, CublasApi.CUDA_R_32F);
            CublasLtApi.setDescInt(desc, CublasLtApi.DESC_TRANSA, CublasApi.CUBLAS_OP_T);
            CublasLtApi.setDescInt(desc, CublasLtApi.DESC_TRANSB, CublasApi.CUBLAS_OP_N);
            CublasLtApi.setDescInt(desc, CublasLtApi.DESC_EPILOGUE, epilogue);
            CublasLtApi.setDescInt(desc, DESC_POINTER_MODE, mode);
            if (batch > 1 && mode == ALPHA_VECTOR_BETA_HOST) setDescLong(desc, DESC_ALPHA_VECTOR_BATCH_STRIDE, h);
            if (epilogue == CublasLtApi.EPILOGUE_BIAS) {
                setDescLong(desc, CublasLtApi.DESC_BIAS_POINTER, bias);
                if (batch > 1) setDescLong(desc, DESC_BIAS_BATCH_STRIDE, biasStride);
            }
            int rows = batch == 1 ? ROWS : L;
            long aL = CublasLtApi.layout(CublasApi.CUDA_R_16BF, k, h, k);
            long bL = CublasLtApi.layout(CublasApi.CUDA_R_16BF, k, rows, k);
            long cL = CublasLtApi.layout(cType, h, rows, h);
            if (batch > 1) {
                batch(aL, batch, 0);
                batch(bL, batch, (long) L * k);
                batch(cL, batch, (long) L * h);
            }
            long pref = CublasLtApi.preference(Cublas.WORKSPACE_BYTES);
            MemorySegment results = Arena.ofAuto().allocate(CANDIDATES * CublasLtApi.HEURISTIC_RESULT_BYTES, 8);
            int found = CublasLtApi.algorithms(handle, desc, aL, bL, cL, cL, pref, CANDIDATES, results);
            CublasLtApi.destroyPreference(pref);
            int usable = 0;
            for (int i = 0; i < found; i++) {
                MemorySegment r = results.asSlice(i * CublasLtApi.HEURISTIC_RESULT_BYTES, CublasLtApi.HEURISTIC_RESULT_BYTES);
                if (r.get(JAVA_INT, CublasLtApi.HEURISTIC_STATE_OFFSET) == 0 && r.get(JAVA_LONG, CublasLtApi.HEURISTIC_WORKSPACE_OFFSET) <= Cublas.WORKSPACE_BYTES)
                    usable = i + 1;
                else break;
            }
            Fused f = new Fused(desc, aL, bL, cL, results, usable);
            if (usable == 0) {
                f.close();
                return null;
            }
            return f;
        }

        int run(long handle, DeviceBuffer ws, int candidate, MemorySegment beta, long gate, long a, long w, long x, long out, long stream) {
            MemorySegment algo = results.asSlice(candidate * CublasLtApi.HEURISTIC_RESULT_BYTES, CublasLtApi.ALGO_BYTES);
            return CublasLtApi.matmul(handle, desc, MemorySegment.ofAddress(gate), w, aL, a, bL, beta, x, cL, out, cL, algo,
                    ws.address(), Cublas.WORKSPACE_BYTES, stream);
        }

        void close() {
            CublasLtApi.destroyLayout(cL);
            CublasLtApi.destroyLayout(bL);
            CublasLtApi.destroyLayout(aL);
            CublasLtApi.destroyMatmulDesc(desc);
        }
    }

    private static Tensor bf16(Generator g, int rows, int cols) {
        return Tensor.randn(g, rows, cols).mul(0.1).to(Device.cuda(0)).to(DType.BF16);
    }

    private static long addr(Tensor t) { return CudaBackend.ptr(t).deviceAddress(); }

    private interface Call { boolean run(); }

    private static void row(CudaContext ctx, String name, Call call) {
        try {
            for (int i = 0; i < WARM; i++)
                if (!call.run()) {
                    System.out.printf("%s  declined%n", name);
                    return;
                }
            try (CudaEvent start = ctx.newEvent(); CudaEvent end = ctx.newEvent()) {
                start.record();
                for (int i = 0; i < TIMED; i++) call.run();
                end.record();
                System.out.printf("%s %9.1f us%n", name, 1000.0 * end.millisSince(start) / TIMED);
            }
        } catch (RuntimeException e) {
            System.out.printf("%s failed: %s%n", name, e.getMessage());
        }
    }
}
