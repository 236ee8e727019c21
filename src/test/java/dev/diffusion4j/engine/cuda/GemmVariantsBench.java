package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.ReduceOp;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;

/**
 * Times the ways a DiT's Linear products can run on the GPU, per call, with CUDA events: the weight gradient
 * gyᵀ x [n x k over `rows` tokens] through cublasGemmEx and through cuBLASLt with the bias-gradient epilogue (BGRADB);
 * the bias gradient as a column sum of its own (16-byte vectors, col_reduce_vec, and scalar loads, col_reduce); the
 * input gradient gy w; the forward x wᵀ + b; for fc1, the forward with GELU and its input from the epilogue
 * (GELU_AUX_BIAS) beside the GELU pass, and fc2's input gradient with GELU's derivative in the epilogue (DGELU); and
 * the weight gradient and the forwards over rows with a ones column after them (OnesColumns: rows k + 8 apart).
 * (The fourteenth session's first version also timed cuBLASLt with no epilogue, the heuristic's other candidates and
 * DGELU_BGRAD: none was faster; BENCHMARKS.md.)
 * Not a test: {@code java -cp diffusion4j.jar:test-classes dev.diffusion4j.engine.cuda.GemmVariantsBench [hidden...]}
 * (default 384 768: DiT-S/2 and B/2 at batch 256, 65,536 tokens).
 */
public final class GemmVariantsBench {
    private static final int ROWS = 65536, WARM = 3, TIMED = 20;

    public static void main(String[] args) {
        CudaBackend be = (CudaBackend) Backends.get(Device.cuda(0));
        CudaContext ctx = be.context();
        Cublas cublas = new Cublas(ctx);
        DeviceBuffer ws = ctx.allocate(Cublas.WORKSPACE_BYTES);
        CublasLt lt = new CublasLt(ctx, ws.address(), Cublas.WORKSPACE_BYTES);
        System.out.println("cuBLAS " + cublas.version() + "; us per call, mean of " + TIMED + " after " + WARM + " warm-up calls");
        int[] hiddens = args.length == 0 ? new int[] {384, 768} : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        for (int h : hiddens) {
            // qkv, attention out, fc1, fc2: out x in
            int[][] linears = {{3 * h, h}, {h, h}, {4 * h, h}, {h, 4 * h}};
            for (int[] l : linears) {
                int n = l[0], k = l[1];
                Tensor x = bf16(ROWS, k, 1), gy = bf16(ROWS, n, 2), w = bf16(n, k, 3), b = bf16(n, 1, 4).reshape(n);
                Tensor gw = bf16(n, k, 5), gb = bf16(n, 1, 6).reshape(n), y = bf16(ROWS, n, 7), dx = bf16(ROWS, k, 8);
                long px = addr(x), pgy = addr(gy), pw = addr(w), pb = addr(b), pgw = addr(gw), pgb = addr(gb), py = addr(y), pdx = addr(dx);
                String shape = String.format("h%-4d %5dx%-5d", h, n, k);
                Cublas.DataType t = Cublas.DataType.BF16;
                row(ctx, shape + " wgrad gemmEx        ", () -> { cublas.gemm(true, false, n, k, ROWS, 1f, pgy, t, n, px, t, k, 0f, pgw, t, k); return true; });
                row(ctx, shape + " wgrad lt bgrad      ", () -> lt.gemm(true, false, n, k, ROWS, 1f, pgy, n, px, k, pgw, k, pgb, t, false, CublasLt.Epilogue.BIAS_GRADIENT));
                row(ctx, shape + " bias grad col sum   ", () -> be.reduce(ReduceOp.SUM, gy, new int[] {0}, false) != null);
                boolean vec = CudaReduce.setVectorColumns(false);
                row(ctx, shape + " bias grad col scalar", () -> be.reduce(ReduceOp.SUM, gy, new int[] {0}, false) != null);
                CudaReduce.setVectorColumns(vec);
                // the bias gradient as the weight gradient's extra column: x with a ones column (rows k+8 apart)
                Tensor xp = bf16(ROWS, k + 8, 12);
                long pxp = addr(xp), pgwp = addr(bf16(n, k + 8, 13));
                row(ctx, shape + " wgrad lt            ", () -> lt.gemm(true, false, n, k, ROWS, 1f, pgy, n, px, k, pgw, k, 0, t, false, CublasLt.Epilogue.NONE));
                row(ctx, shape + " wgrad lt +ones      ", () -> lt.gemm(true, false, n, k + 8, ROWS, 1f, pgy, n, pxp, k + 8, pgwp, k + 8, 0, t, false, CublasLt.Epilogue.NONE));
                row(ctx, shape + " fwd   lt bias ld+8  ", () -> lt.gemm(false, true, ROWS, n, k, 1f, pxp, k + 8, pw, k, py, n, pb, t, false, CublasLt.Epilogue.BIAS));
                if (n == 4 * h) {
                    long pdh1 = addr(bf16(ROWS, n, 15));
                    row(ctx, shape + " fwd   gelu_aux ld+8 ", () -> lt.gemm(false, true, ROWS, n, k, 1f, pxp, k + 8, pw, k, py, n, pb, pdh1, t, false, CublasLt.Epilogue.GELU_AUX_BIAS));
                }
                row(ctx, shape + " dgrad gemmEx        ", () -> { cublas.gemm(false, false, ROWS, k, n, 1f, pgy, t, n, pw, t, k, 0f, pdx, t, k); return true; });
                row(ctx, shape + " fwd   lt bias       ", () -> lt.gemm(false, true, ROWS, n, k, 1f, px, k, pw, k, py, n, pb, t, false, CublasLt.Epilogue.BIAS));
                if (n == 4 * h) {   // fc1: its GELU in the forward's epilogue (writing its input too) or a pass; its input gradient from fc2's
                    Tensor gy2 = bf16(ROWS, h, 9), w2 = bf16(h, n, 10), dh = bf16(ROWS, n, 11);
                    long pgy2 = addr(gy2), pw2 = addr(w2), pdh = addr(dh);
                    row(ctx, shape + " dgelu               ", () -> lt.gemm(false, false, ROWS, n, h, 1f, pgy2, h, pw2, n, pdh, n, 0, py, t, false, CublasLt.Epilogue.GELU_GRADIENT));
                    row(ctx, shape + " fwd   gelu_aux_bias ", () -> lt.gemm(false, true, ROWS, n, k, 1f, px, k, pw, k, py, n, pb, pdh, t, false, CublasLt.Epilogue.GELU_AUX_BIAS));
                    row(ctx, shape + " gelu pass           ", () -> be.unary(UnaryOp.GELU_TANH, y, 0, 0) != null);
                }
            }
        }
    }

    private static Tensor bf16(int rows, int cols, long seed) {
        return Tensor.randn(new Generator(seed), rows, cols).mul(0.1).to(Device.cuda(0)).to(DType.BF16);
    }

    private static long addr(Tensor t) { return CudaBackend.ptr(t).deviceAddress(); }

    /** One call; false where cuBLASLt declined it (nothing queued). */
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
