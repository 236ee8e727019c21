package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.AdamUpdate;
import dev.diffusion4j.engine.BinaryOp;
import dev.diffusion4j.engine.Conv2dParams;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.MemoryFormat;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The table of CPU-vs-CUDA parity cases: each runs f on random inputs on both backends (f32, and bf16 unless marked
 * otherwise), then the backward of sum(w * f(x)) through autograd, and names the Backend methods it exercises. The
 * coverage test ({@link ParityCoverageTest}) fails when a Backend method appears in no case.
 */
final class ParityCases {
    private ParityCases() {}

    /** grad: run the backward too; bf16: also run with bf16 storage; tol32: f32 tolerance (max error / max |ref|). */
    record Case(String name, Set<String> methods, Function<Tensor[], Tensor> f, boolean grad, boolean bf16, double tol32, Tensor[] inputs) {}

    /** Backend methods the direct (non-autograd) tests of CudaParityTest exercise. */
    static final Set<String> DIRECT = Set.of("device", "fromArray", "toArray", "full", "cast", "contiguous", "copyInto",
            "normal", "uniform", "randint");

    static final double F32_TOL = 1e-5;

    static Tensor rn(long seed, int... shape) { return Tensor.randn(new Generator(seed), shape); }

    static Tensor pos(long seed, int... shape) { return Tensor.rand(new Generator(seed), shape).affine(1.5, 0.5); }

    private static Case c(String name, String methods, Function<Tensor[], Tensor> f, Tensor... in) {
        return new Case(name, methods(methods), f, true, true, F32_TOL, in);
    }

    private static Case fwd(String name, String methods, Function<Tensor[], Tensor> f, Tensor... in) {
        return new Case(name, methods(methods), f, false, true, F32_TOL, in);
    }

    /** Forward only, f32 only: an op that serves the f32 (TF32) path and never runs on bf16 storage. */
    private static Case fwd32(String name, String methods, Function<Tensor[], Tensor> f, Tensor... in) {
        return new Case(name, methods(methods), f, false, false, F32_TOL, in);
    }

    /** f32 only: the op draws random numbers whose bf16 rounding would move thresholds. */
    private static Case c32(String name, String methods, Function<Tensor[], Tensor> f, Tensor... in) {
        return new Case(name, methods(methods), f, true, false, F32_TOL, in);
    }

    private static Set<String> methods(String spaced) { return new TreeSet<>(List.of(spaced.split(" "))); }

    private static Tensor ids(Tensor like, long... v) { return Tensor.ofLongs(v, v.length).to(like.device()); }

    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        // ---- unary maps: a contiguous run (vector path, with a ragged tail) and a transposed view (strided path)
        for (UnaryOp op : UnaryOp.values()) {
            Function<Tensor[], Tensor> f = switch (op) {
                case AFFINE -> x -> x[0].affine(1.5, -0.25);
                case POW -> x -> x[0].pow(2.7);
                case CLAMP -> x -> x[0].clamp(-0.5, 0.5);
                case SIGN -> x -> x[0].sign().add(x[0]);  // sign's own derivative is 0
                case SOFTPLUS -> x -> F.softplus(x[0].mul(12));  // reaches both branches (x > 20)
                default -> x -> opOf(op, x[0]);
            };
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.RECIPROCAL || op == UnaryOp.POW;
            long s = 1000 + 10L * op.ordinal();
            Tensor flat = positive ? pos(s, 4, 33, 65) : rn(s, 4, 33, 65).add(0.01);
            Tensor ragged = positive ? pos(s + 1, 3, 7, 5) : rn(s + 1, 3, 7, 5);
            Tensor strided = positive ? pos(s + 2, 3, 9, 6) : rn(s + 2, 3, 9, 6);
            String m = "unary unaryBackward";
            cs.add(c("unary." + op.name().toLowerCase() + ".flat", m, f, flat));
            cs.add(c("unary." + op.name().toLowerCase() + ".ragged", m, f, ragged));
            cs.add(c("unary." + op.name().toLowerCase() + ".transposed", m, x -> f.apply(new Tensor[] {x[0].mT()}), strided));
        }
        // ---- binary maps: same shape (vector path), broadcasting, a broadcast scalar, transposed views
        for (BinaryOp op : BinaryOp.values()) {
            String n = "binary." + op.name().toLowerCase();
            long s = 2000 + 10L * op.ordinal();
            Function<Tensor[], Tensor> f = x -> binOf(op, x[0], x[1]);
            if (op.isComparison()) {
                // half the elements tie so EQ/NE/LE/GE see both outcomes
                Tensor a = rn(s, 8, 129), mask = Tensor.rand(new Generator(s + 1), 8, 129).gt(0.5);
                Tensor b = Tensor.where(mask, a, rn(s + 2, 8, 129));
                cs.add(fwd(n + ".same", "binary", f, a, b));
                cs.add(fwd(n + ".broadcast", "binary", f, rn(s + 3, 2, 3, 4, 5), rn(s + 4, 3, 1, 5)));
                continue;
            }
            boolean posA = op == BinaryOp.POW, posB = op == BinaryOp.DIV;
            Tensor a1 = posA ? pos(s, 8, 129) : rn(s, 8, 129), b1 = posB ? pos(s + 1, 8, 129) : rn(s + 1, 8, 129);
            Tensor a2 = posA ? pos(s + 2, 2, 3, 4, 5) : rn(s + 2, 2, 3, 4, 5), b2 = posB ? pos(s + 3, 3, 1, 5) : rn(s + 3, 3, 1, 5);
            Tensor b3 = posB ? pos(s + 4, 1) : rn(s + 4, 1);
            Tensor a4 = posA ? pos(s + 5, 2, 7, 6) : rn(s + 5, 2, 7, 6), b4 = posB ? pos(s + 6, 2, 6, 7) : rn(s + 6, 2, 6, 7);
            cs.add(c(n + ".same", "binary", f, a1, b1));
            cs.add(c(n + ".broadcast", "binary reduce", f, a2, b2));
            cs.add(c(n + ".scalar", "binary reduce", f, a1, b3));
            cs.add(c(n + ".transposed", "binary", x -> binOf(op, x[0], x[1].mT()), a4, b4));
        }
        // binary_rows: a contiguous [A, J, C] with a [A, 1, C] (or [C]) row repeated over J, either operand order
        cs.add(c("binary.rows.add.tokens", "binary reduce", x -> x[0].add(x[1]), rn(3004, 3, 50, 36), rn(3005, 3, 1, 36)));
        cs.add(c("binary.rows.mul.first", "binary reduce", x -> x[1].mul(x[0]), rn(3006, 4, 9, 13), rn(3007, 4, 1, 13)));
        cs.add(c("binary.rows.sub.bias", "binary reduce", x -> x[0].sub(x[1]), rn(3008, 70, 24), rn(3009, 24)));
        cs.add(c("binary.rows.div.bias.first", "binary reduce", x -> x[1].div(x[0]), pos(3010, 70, 23), rn(3011, 23)));
        // the row a chunk of a wider [A, 6C] (adaLN's gate): rows 6C apart, vectorised (C 16) and not (C 13)
        cs.add(c("binary.rows.mul.chunk", "binary reduce", x -> x[0].mul(x[1].chunk(6, 1)[2].unsqueeze(1)), rn(3012, 3, 20, 16), rn(3013, 3, 96)));
        cs.add(c("binary.rows.add.chunk.first", "binary reduce", x -> x[1].chunk(6, 1)[5].unsqueeze(1).add(x[0]), rn(3014, 2, 7, 13), rn(3015, 2, 78)));
        // binary_planes: [N, C, H, W] with one value per (n, c) plane, vectorised (4x4) and not (5x5), either order; and
        // plane values that are a chunk of a wider [N, 2C] (a scale-shift half: dims that do not merge, the strided path)
        cs.add(c("binary.planes.add", "binary reduce", x -> x[0].add(x[1]), rn(3016, 2, 3, 4, 4), rn(3017, 2, 3, 1, 1)));
        cs.add(c("binary.planes.sub.first", "binary reduce", x -> x[1].sub(x[0]), rn(3018, 2, 3, 5, 5), rn(3019, 2, 3, 1, 1)));
        cs.add(c("binary.planes.mul.chunk", "binary reduce", x -> x[0].mul(x[1].slice(1, 3, 6).reshape(2, 3, 1, 1)), rn(3020, 2, 3, 4, 4), rn(3021, 2, 6)));
        cs.add(c("where.broadcast", "where binary cast", x -> Tensor.where(x[0].gt(0.0), x[0], x[1]), rn(3000, 3, 4, 5), rn(3001, 5)));
        cs.add(c("where.transposed", "where binary cast", x -> Tensor.where(x[1].lt(0.3), x[0].mT(), x[1]), rn(3002, 6, 5), rn(3003, 5, 6)));
        // ---- reductions: warp rows, block rows, split rows, strided and permuted inputs
        cs.add(c("reduce.sum.dims02", "reduce", x -> x[0].sum(new int[] {0, 2}, false), rn(3100, 6, 7, 8)));
        cs.add(c("reduce.mean.keepdim", "reduce", x -> x[0].mean(1, true), rn(3101, 6, 7, 8)));
        cs.add(c("reduce.max.last", "reduce binary", x -> x[0].max(-1, false), rn(3102, 6, 7, 9)));
        cs.add(c("reduce.min.keepdim01", "reduce binary", x -> x[0].min(new int[] {0, 1}, true), rn(3103, 6, 7, 8)));
        cs.add(c("reduce.sum.all.split", "reduce", x -> x[0].sum(), rn(3104, 700, 1300)));
        cs.add(c("reduce.mean.dim0.strided.split", "reduce", x -> x[0].mean(0, false), rn(3105, 5000, 3)));
        cs.add(c("reduce.sum.rows.block", "reduce", x -> x[0].sum(1, false), rn(3106, 300, 3000)));
        cs.add(c("reduce.max.permuted", "reduce binary", x -> x[0].permute(2, 0, 1).max(new int[] {1, 2}, false), rn(3107, 9, 11, 13)));
        cs.add(c("reduce.min.all.split", "reduce binary", x -> x[0].min(), rn(3108, 4, 300000)));
        // the column kernel: contiguous [A, J, C] reduced over J (bias gradients; broadcast gradients over tokens)
        cs.add(c("reduce.sum.columns.split", "reduce", x -> x[0].sum(0, false), rn(3112, 3000, 389)));
        cs.add(c("reduce.mean.columns.keepdim", "reduce", x -> x[0].mean(1, true), rn(3113, 6, 200, 40)));
        cs.add(c("reduce.max.columns.run", "reduce binary", x -> x[0].max(new int[] {0, 1}, false), rn(3114, 5, 7, 33)));
        cs.add(c("reduce.min.columns.split", "reduce binary", x -> x[0].min(1, false), rn(3115, 3, 900, 70)));
        cs.add(c("reduce.mean.columns.split", "reduce", x -> x[0].mean(new int[] {0, 1}, false), rn(3116, 40, 64, 48)));
        // strided rows: a channel slice of a channels-last [N, H, W, C] (a concatenation's gradient) reduced over N, H, W,
        // and a slice along A with its rows C apart; a flipped run (negative strides) stays on the generic kernel
        cs.add(c("reduce.sum.columns.channel_slice", "reduce", x -> x[0].slice(3, 24, 64).sum(new int[] {0, 1, 2}, false), rn(3117, 3, 20, 30, 80)));
        cs.add(c("reduce.mean.columns.sliced_rows", "reduce", x -> x[0].slice(2, 8, 40).mean(1, false), rn(3118, 5, 300, 48)));
        cs.add(c("reduce.sum.columns.flipped", "reduce", x -> x[0].flip(1).sum(new int[] {0, 1}, false), rn(3119, 4, 8, 32)));
        // 16-byte column vectors (col_reduce_vec): a bias gradient's shape in chunks, A > 1 with a part-filled last tile,
        // max, and strided rows (a slice whose columns and strides stay multiples of the vector)
        cs.add(c("reduce.sum.columns.vec.split", "reduce", x -> x[0].sum(0, false), rn(3120, 2000, 384)));
        cs.add(c("reduce.mean.columns.vec.tile", "reduce", x -> x[0].mean(1, false), rn(3121, 4, 300, 136)));
        cs.add(c("reduce.max.columns.vec", "reduce binary", x -> x[0].max(1, false), rn(3122, 6, 50, 64)));
        cs.add(c("reduce.sum.columns.vec.sliced_rows", "reduce", x -> x[0].slice(1, 8, 264).sum(0, false), rn(3123, 700, 272)));
        // a conv's bias gradient: two reduced runs (N, H*W), split across blocks at a chunk that is no multiple of H*W,
        // in one block per row with H*W above and below the block size
        cs.add(c("reduce.sum.dims023.split", "reduce", x -> x[0].sum(new int[] {0, 2, 3}, false), rn(3111, 8, 5, 23, 29)));
        cs.add(c("reduce.sum.dims023.block", "reduce", x -> x[0].sum(new int[] {0, 2, 3}, false), rn(3112, 3, 300, 40, 20)));
        cs.add(c("reduce.mean.dims023.narrow", "reduce", x -> x[0].mean(new int[] {0, 2, 3}, false), rn(3113, 40, 300, 3, 5)));
        cs.add(c("reduce.var", "reduce binary unary", x -> x[0].var(new int[] {1, 2}, true, false), rn(3109, 3, 4, 5)));
        cs.add(c("reduce.logsumexp", "reduce binary unary where", x -> x[0].logsumexp(-1, false), rn(3110, 5, 40)));
        // ---- shapes: views gathered, copies into strided destinations
        cs.add(c("contiguous.permute", "contiguous", x -> x[0].permute(2, 0, 1).contiguous().mul(x[1]), rn(3200, 3, 4, 5), rn(3201, 5, 3, 4)));
        cs.add(c("contiguous.flip", "contiguous", x -> x[0].flip(0, 2).contiguous().mul(x[1]), rn(3202, 3, 4, 5), rn(3203, 3, 4, 5)));
        cs.add(c("contiguous.expand", "contiguous reduce", x -> x[0].expand(4, 3, 5).contiguous().mul(x[1]), rn(3204, 3, 1), rn(3205, 4, 3, 5)));
        cs.add(c("slice.step", "copyInto full", x -> x[0].slice(2, 1, 9, 3).square(), rn(3206, 3, 4, 10)));
        cs.add(c("cat", "copyInto empty", x -> Tensor.cat(1, x[0], x[1], x[0]).square(), rn(3207, 2, 3, 2), rn(3208, 2, 1, 2)));
        // whole 16-byte rows (copy_rows16: a U-Net's skip concatenation) and tiled transposes with ragged tiles (copy_transpose)
        cs.add(c("cat.rows", "copyInto empty", x -> Tensor.cat(1, x[0], x[1]).square(), rn(3230, 2, 8, 4, 4), rn(3231, 2, 16, 4, 4)));
        cs.add(c("contiguous.expand_rows", "contiguous", x -> x[0].expand(4, 3, 8).contiguous().mul(x[1]), rn(3232, 1, 3, 8), rn(3233, 4, 3, 8)));
        cs.add(c("contiguous.transpose", "contiguous", x -> x[0].transpose(1, 2).contiguous().mul(x[1]), rn(3214, 3, 37, 45), rn(3215, 3, 45, 37)));
        cs.add(c("contiguous.transpose_2d", "contiguous", x -> x[0].mT().contiguous().mul(x[1]), rn(3216, 70, 33), rn(3217, 33, 70)));
        cs.add(c("stack", "copyInto empty", x -> Tensor.stack(0, x[0], x[1].mul(x[0])), rn(3209, 3, 2), rn(3210, 3, 2)));
        cs.add(c("pad", "copyInto full", x -> x[0].pad(new int[] {1, 2, 0, 1}, 0.5).square(), rn(3211, 2, 3, 2)));
        cs.add(c("cast.f64.roundtrip", "cast unary", x -> x[0].to(DType.F64).square().to(x[0].dtype()), rn(3212, 4, 9)));
        // ---- matrix products
        cs.add(c("matmul.2d", "matmul", x -> x[0].matmul(x[1]), rn(3300, 13, 17), rn(3301, 17, 19)));
        cs.add(c("matmul.batched", "matmul", x -> x[0].matmul(x[1]), rn(3302, 2, 3, 17, 33), rn(3303, 2, 3, 33, 19)));
        cs.add(c("matmul.shared_weight", "matmul reduce", x -> x[0].matmul(x[1].mT()), rn(3304, 2, 7, 33), rn(3305, 19, 33)));
        cs.add(c("matmul.transposed_views", "matmul", x -> x[0].mT().matmul(x[1].mT()), rn(3306, 2, 33, 17), rn(3307, 2, 19, 33)));
        cs.add(c("matmul.expanded_batch", "matmul reduce", x -> x[0].matmul(x[1].expand(4, 33, 19)), rn(3308, 4, 17, 33), rn(3309, 1, 33, 19)));
        cs.add(c("matmul.sliced", "matmul", x -> x[0].slice(1, 3, 40).matmul(x[1]), rn(3310, 2, 45, 24), rn(3311, 24, 31)));
        cs.add(c("linear", "linear linearWeightGradients matmul reduce", x -> F.linear(x[0], x[1], x[2]), rn(3312, 2, 3, 64), rn(3313, 96, 64), rn(3314, 96)));
        // the bias in cuBLASLt's epilogue: an input whose rows are columns (a transposed view, one product with A
        // transposed), a bias read through a stride-2 view (copied first), one at an odd element offset, and no bias
        cs.add(c("linear.transposed_input", "linear linearWeightGradients matmul reduce", x -> F.linear(x[0].mT(), x[1], x[2]), rn(3315, 40, 24), rn(3316, 33, 40), rn(3317, 33)));
        cs.add(c("linear.strided_bias", "linear linearWeightGradients matmul reduce binary", x -> F.linear(x[0], x[1], x[2].slice(0, 0, 66, 2)), rn(3318, 5, 7, 24), rn(3319, 33, 24), rn(3320, 66)));
        cs.add(c("linear.offset_bias", "linear linearWeightGradients matmul reduce", x -> F.linear(x[0], x[1], x[2].slice(0, 1, 18)), rn(3321, 9, 32), rn(3322, 17, 32), rn(3323, 18)));
        cs.add(c("linear.no_bias", "linear linearWeightGradients matmul", x -> F.linear(x[0], x[1], null), rn(3324, 3, 11, 32), rn(3325, 24, 32)));
        // no gradient taken: the tanh GELU in the epilogue too (sampling's MLP); with gradients it is a recorded op after the product
        cs.add(fwd("linear.gelu_tanh", "linear", x -> F.linear(x[0], x[1], x[2], UnaryOp.GELU_TANH), rn(3326, 4, 9, 64), rn(3327, 96, 64), rn(3328, 96)));
        cs.add(c("linear.gelu_tanh.grad", "linear linearWeightGradients unary unaryBackward matmul reduce", x -> F.linear(x[0], x[1], x[2], UnaryOp.GELU_TANH),
                rn(3329, 2, 5, 32), rn(3330, 40, 32), rn(3331, 40)));
        // ---- indexing
        cs.add(c("index_select.repeated", "indexSelect indexAdd", x -> x[0].indexSelect(1, ids(x[0], 2, 0, 2, 1, 2)), rn(3400, 2, 3, 7)));
        cs.add(c("gather", "indexSelect indexAdd", x -> x[0].gather(1, Tensor.ofLongs(new long[] {2, 0, 1, 1, 0, 2}, 2, 3).to(x[0].device())), rn(3401, 2, 4)));
        cs.add(c("embedding", "indexSelect indexAdd", x -> F.embedding(x[0], Tensor.ofLongs(new long[] {3, 1, 3, 0, 9, 3}, 2, 3).to(x[0].device())), rn(3402, 10, 16)));
        // rows times indices over CudaIndex.ORDERED_MAX_SIZE_TIMES_K: the atomicAdd kernel (the cases above take the ordered one)
        cs.add(c("embedding.large_vocab", "indexSelect indexAdd", x -> F.embedding(x[0], Tensor.ofLongs(new long[] {39999, 7, 39999, 0}, 2, 2).to(x[0].device())),
                rn(3403, 40000, 4)));
        // ---- convolution, pooling, resampling
        cs.add(c("conv2d.3x3.bias", "conv2d conv2dBackwardInput conv2dBackwardWeight reduce", x -> F.conv2d(x[0], x[1], x[2], 1, 1),
                rn(3500, 2, 16, 12, 12), rn(3501, 32, 16, 3, 3), rn(3502, 32)));
        // a residual added in the bias pass: 16-byte vectors (12x12 planes) and the element path (5x5), and a transposed residual (copied)
        cs.add(c("conv2d_add.vector", "conv2d conv2dBackwardInput conv2dBackwardWeight reduce",
                x -> F.conv2dAdd(x[0], x[1], x[2], Conv2dParams.of(1, 1), x[3]), rn(3518, 2, 16, 12, 12), rn(3519, 32, 16, 3, 3), rn(3520, 32), rn(3521, 2, 32, 12, 12)));
        cs.add(c("conv2d_add.elements", "conv2d conv2dBackwardInput conv2dBackwardWeight reduce contiguous",
                x -> F.conv2dAdd(x[0], x[1], x[2], Conv2dParams.of(1, 0), x[3].transpose(2, 3)), rn(3522, 2, 3, 5, 5), rn(3523, 5, 3, 1, 1), rn(3524, 5), rn(3525, 2, 5, 5, 5)));
        cs.add(c("conv2d_add.no_bias", "conv2d conv2dBackwardInput conv2dBackwardWeight binary",
                x -> F.conv2dAdd(x[0], x[1], null, Conv2dParams.of(1, 1), x[2]), rn(3527, 2, 4, 6, 6), rn(3528, 8, 4, 3, 3), rn(3529, 2, 8, 6, 6)));
        // channels-last ([N, H, W, C]): cuDNN on NHWC and a KRSC copy of the filter; the CPU reference permutes around its NCHW kernels
        cs.add(c("conv2d_cl.3x3.bias_residual", "conv2dChannelsLast conv2dChannelsLastBackwardInput conv2dChannelsLastBackwardWeight reduce",
                x -> F.conv2d(x[0], x[1], x[2], Conv2dParams.of(1, 1), x[3], MemoryFormat.CHANNELS_LAST),
                rn(3530, 2, 6, 6, 16), rn(3531, 32, 16, 3, 3), rn(3532, 32), rn(3533, 2, 6, 6, 32)));
        cs.add(c("conv2d_cl.strided_three_channels", "conv2dChannelsLast conv2dChannelsLastBackwardInput conv2dChannelsLastBackwardWeight",
                x -> F.conv2d(x[0], x[1], null, Conv2dParams.of(2, 1), null, MemoryFormat.CHANNELS_LAST), rn(3534, 2, 7, 7, 3), rn(3535, 8, 3, 3, 3)));
        cs.add(c("conv2d_cl.1x1.bias_elements", "conv2dChannelsLast conv2dChannelsLastBackwardInput conv2dChannelsLastBackwardWeight reduce",
                x -> F.conv2d(x[0], x[1], x[2], Conv2dParams.of(1, 0), null, MemoryFormat.CHANNELS_LAST), rn(3536, 2, 5, 4, 6), rn(3537, 5, 6, 1, 1), rn(3538, 5)));
        cs.add(c("conv2d.strided_grouped_dilated", "conv2d conv2dBackwardInput conv2dBackwardWeight",
                x -> F.conv2d(x[0], x[1], null, new Conv2dParams(2, 1, 1, 2, 1, 2, 2)), rn(3503, 2, 4, 7, 6), rn(3504, 6, 2, 3, 2)));
        cs.add(c("conv2d.1x1", "conv2d conv2dBackwardInput conv2dBackwardWeight", x -> F.conv2d(x[0], x[1], null, 1, 0), rn(3505, 2, 3, 5, 5), rn(3506, 5, 3, 1, 1)));
        cs.add(c("conv2d.noncontiguous_input", "conv2d conv2dBackwardInput conv2dBackwardWeight contiguous",
                x -> F.conv2d(x[0].transpose(2, 3), x[1], null, 1, 1), rn(3507, 2, 3, 6, 5), rn(3508, 4, 3, 3, 3)));
        cs.add(c("conv_transpose2d", "conv2d conv2dBackwardInput conv2dBackwardWeight binary reduce",
                x -> F.convTranspose2d(x[0], x[1], x[2], Conv2dParams.of(2, 1), 1), rn(3509, 2, 3, 4, 3), rn(3510, 3, 2, 3, 3), rn(3511, 2)));
        cs.add(c("avg_pool2d", "avgPool2d avgPool2dBackward", x -> F.avgPool2d(x[0], 2, 2), rn(3512, 2, 3, 8, 6)));
        cs.add(c("avg_pool2d.overlapping", "avgPool2d avgPool2dBackward", x -> F.avgPool2d(x[0], 3, 2), rn(3513, 2, 3, 9, 7)));
        cs.add(c("upsample_nearest", "upsampleNearest2d upsampleNearest2dBackward", x -> F.upsampleNearest(x[0], 2), rn(3514, 2, 3, 5, 4)));
        cs.add(c("upsample_nearest.x3", "upsampleNearest2d upsampleNearest2dBackward", x -> F.upsampleNearest(x[0], 3), rn(3526, 1, 2, 3, 5)));
        cs.add(c("upsample_nearest_cl.vectors", "upsampleNearest2dChannelsLast upsampleNearest2dChannelsLastBackward",
                x -> F.upsampleNearest(x[0], 2, MemoryFormat.CHANNELS_LAST), rn(3539, 2, 3, 5, 16)));
        cs.add(c("upsample_nearest_cl.x3_elements", "upsampleNearest2dChannelsLast upsampleNearest2dChannelsLastBackward",
                x -> F.upsampleNearest(x[0], 3, MemoryFormat.CHANNELS_LAST), rn(3540, 1, 4, 2, 5)));
        cs.add(c("upsample_bilinear.up", "upsampleBilinear2d upsampleBilinear2dBackward", x -> F.upsampleBilinear(x[0], 7, 9), rn(3515, 2, 2, 3, 4)));
        cs.add(c("upsample_bilinear.down", "upsampleBilinear2d upsampleBilinear2dBackward", x -> F.upsampleBilinear(x[0], 2, 3), rn(3516, 1, 2, 5, 7)));
        // ---- fused NN ops
        cs.add(c("group_norm", "groupNormForward groupNormBackward", x -> F.groupNorm(x[0], 4, x[1], x[2], 1e-5),
                rn(3600, 2, 8, 5, 6), rn(3601, 8).add(1), rn(3602, 8)));
        cs.add(c("group_norm_silu", "groupNormForward groupNormBackward", x -> F.groupNormSilu(x[0], 2, x[1], x[2], 1e-5),
                rn(3603, 3, 6, 7, 5).mul(2).add(0.5), rn(3604, 6).add(1), rn(3605, 6)));
        cs.add(c("group_norm.no_affine.rank2", "groupNormForward groupNormBackward", x -> F.groupNorm(x[0], 3, null, null, 1e-5), rn(3606, 5, 12)));
        cs.add(c("group_norm_silu.large", "groupNormForward groupNormBackward", x -> F.groupNormSilu(x[0], 8, x[1], x[2], 1e-6),
                rn(3607, 2, 64, 16, 16), rn(3608, 64).add(1), rn(3609, 64)));
        // CUDA holds a group of up to 16 x 256 elements in registers: one exactly that size, one larger (two-pass path)
        cs.add(c("group_norm_silu.cached_full", "groupNormForward groupNormBackward", x -> F.groupNormSilu(x[0], 2, x[1], x[2], 1e-5),
                rn(3650, 2, 8, 32, 32).add(0.3), rn(3651, 8).add(1), rn(3652, 8)));
        cs.add(c("group_norm_silu.uncached", "groupNormForward groupNormBackward", x -> F.groupNormSilu(x[0], 2, x[1], x[2], 1e-5),
                rn(3653, 2, 32, 24, 24), rn(3654, 32).add(1), rn(3655, 32)));
        // the backward's thread layout: several channels per round (4x4 and 7x7 spatial), and more channels than threads
        cs.add(c("group_norm_silu.small_spatial", "groupNormForward groupNormBackward", x -> F.groupNormSilu(x[0], 4, x[1], x[2], 1e-5),
                rn(3656, 3, 32, 4, 4), rn(3657, 32).add(1), rn(3658, 32)));
        cs.add(c("group_norm.odd_spatial", "groupNormForward groupNormBackward", x -> F.groupNorm(x[0], 3, x[1], x[2], 1e-5),
                rn(3659, 2, 12, 7, 7), rn(3667, 12).add(1), rn(3668, 12)));
        cs.add(c("group_norm.wide_group", "groupNormForward groupNormBackward", x -> F.groupNormSilu(x[0], 1, x[1], x[2], 1e-5),
                rn(3669, 2, 300, 3, 3), rn(3670, 300).add(1), rn(3671, 300)));
        cs.add(c("group_norm.noncontiguous", "groupNormForward groupNormBackward contiguous", x -> F.groupNorm(x[0].transpose(2, 3), 2, x[1], null, 1e-5),
                rn(3610, 2, 4, 5, 6), rn(3611, 4)));
        cs.add(c("group_norm_cl", "groupNormChannelsLastForward groupNormChannelsLastBackward",
                x -> F.groupNorm(x[0], 4, x[1], x[2], 1e-5, false, MemoryFormat.CHANNELS_LAST), rn(3672, 2, 5, 6, 8), rn(3673, 8).add(1), rn(3674, 8)));
        cs.add(c("group_norm_silu_cl.vectors", "groupNormChannelsLastForward groupNormChannelsLastBackward",
                x -> F.groupNorm(x[0], 8, x[1], x[2], 1e-6, true, MemoryFormat.CHANNELS_LAST), rn(3675, 2, 16, 16, 64).add(0.3), rn(3676, 64).add(1), rn(3677, 64)));
        // one sample: the column sums split the pixels into chunks to fill the device
        cs.add(c("group_norm_silu_cl.chunked", "groupNormChannelsLastForward groupNormChannelsLastBackward",
                x -> F.groupNorm(x[0], 2, x[1], x[2], 1e-5, true, MemoryFormat.CHANNELS_LAST), rn(3678, 1, 32, 32, 32).mul(2).add(1), rn(3679, 32).add(1), rn(3680, 32)));
        // a per-sample shift [N, C] added as x is read (a ResBlock's c1 bias + time embedding), its gradient the column sums of dx
        cs.add(c("group_norm_silu_cl.shifted", "groupNormChannelsLastForward groupNormChannelsLastBackward reduce",
                x -> F.groupNorm(x[0], x[3], 8, x[1], x[2], 1e-6, true, MemoryFormat.CHANNELS_LAST), rn(3682, 2, 8, 8, 64).add(0.3),
                rn(3683, 64).add(1), rn(3684, 64), rn(3685, 2, 64).mul(2)));
        cs.add(c("group_norm_cl.shifted_chunked", "groupNormChannelsLastForward groupNormChannelsLastBackward reduce",
                x -> F.groupNorm(x[0], x[1], 4, null, null, 1e-5, false, MemoryFormat.CHANNELS_LAST), rn(3686, 1, 32, 32, 12), rn(3687, 1, 12).add(3)));
        cs.add(c("group_norm_cl.tokens_no_affine", "groupNormChannelsLastForward groupNormChannelsLastBackward",
                x -> F.groupNorm(x[0], 3, null, null, 1e-5, false, MemoryFormat.CHANNELS_LAST), rn(3681, 3, 10, 12)));
        cs.add(c("layer_norm.last", "layerNormForward layerNormBackward", x -> F.layerNorm(x[0], 1, x[1], x[2], 1e-5),
                rn(3612, 4, 7, 33), rn(3613, 33).add(1), rn(3614, 33)));
        cs.add(c("layer_norm.two_dims", "layerNormForward layerNormBackward", x -> F.layerNorm(x[0], 2, x[1], null, 1e-5),
                rn(3615, 3, 5, 6), rn(3616, 5, 6).add(1)));
        cs.add(c("layer_norm.wide_block", "layerNormForward layerNormBackward", x -> F.layerNorm(x[0], 1, x[1], x[2], 1e-5),
                rn(3617, 6, 2000), rn(3618, 2000).add(1), rn(3619, 2000)));
        cs.add(c("layer_norm.no_affine", "layerNormForward layerNormBackward", x -> F.layerNorm(x[0], 1, null, null, 1e-5), rn(3620, 9, 40)));
        // adaLN: shift and scale are chunks of one [B, 6C] modulation (rows 6C apart); warp rows (C 48) and block rows (C 1030)
        cs.add(c("layer_norm_modulate.chunks", "layerNormModulate layerNormModulateBackward",
                x -> F.layerNormModulate(x[0], x[1].chunk(6, 1)[0], x[1].chunk(6, 1)[1], 1e-6), rn(3672, 3, 20, 48), rn(3673, 3, 288)));
        cs.add(c("layer_norm_modulate.wide", "layerNormModulate layerNormModulateBackward",
                x -> F.layerNormModulate(x[0], x[1], x[2], 1e-6), rn(3674, 2, 5, 1030), rn(3675, 2, 1030), rn(3676, 2, 1030)));
        cs.add(c("softmax.last", "softmax softmaxBackward", x -> F.softmax(x[0], -1), rn(3621, 4, 6, 50).mul(3)));
        cs.add(c("softmax.middle", "softmax softmaxBackward", x -> F.softmax(x[0], 1), rn(3622, 3, 7, 5)));
        cs.add(c("log_softmax.last", "softmax softmaxBackward", x -> F.logSoftmax(x[0], -1), rn(3623, 5, 33)));
        cs.add(c("softmax.wide_block", "softmax softmaxBackward", x -> F.softmax(x[0], -1), rn(3624, 4, 3000)));
        cs.add(c("log_softmax.middle_wide", "softmax softmaxBackward", x -> F.logSoftmax(x[0], 0), rn(3625, 1500, 3)));
        cs.add(c("attention", "attention attentionScores attentionBackward matmul softmax softmaxBackward", x -> F.scaledDotProductAttention(x[0], x[1], x[2]),
                rn(3626, 2, 3, 9, 16), rn(3627, 2, 3, 11, 16), rn(3628, 2, 3, 11, 8)));
        cs.add(c("attention.mask", "attention attentionScores attentionBackward matmul softmax softmaxBackward reduce",
                x -> F.scaledDotProductAttention(x[0], x[1], x[2], x[3], 0.3), rn(3629, 2, 2, 9, 16), rn(3630, 2, 2, 11, 16), rn(3631, 2, 2, 11, 8), rn(3632, 9, 11)));
        cs.add(c("attention.packed", "attentionPacked attentionPackedBackward attention attentionBackward matmul softmax softmaxBackward",
                x -> F.scaledDotProductAttentionPacked(x[0].permute(2, 0, 3, 1, 4), Double.NaN), rn(3634, 2, 10, 3, 3, 16)));
        // the backward from a log-sum-exp (what a TF32 tensor-core forward leaves), called directly; it also frees its temporaries.
        // f32 only: bf16 attention backs up through its own kernels, and a bf16 lse composed here would carry bf16's error
        cs.add(fwd32("attention.backward_from_lse", "attentionBackwardFromLse releaseNow matmul unary binary softmaxBackward reduce", x -> {
            double scale = 0.3;
            Tensor s = x[0].matmul(x[1].mT()).mul(scale);
            Tensor lse = s.exp().sum(-1, false).log();
            Tensor[] d = x[0].backend().attentionBackwardFromLse(x[3], x[0], x[1], x[2], scale, lse);
            return Tensor.cat(0, d[0].flatten(), d[1].flatten(), d[2].flatten());
        }, rn(3637, 2, 3, 9, 16), rn(3638, 2, 3, 11, 16), rn(3639, 2, 3, 11, 8), rn(3640, 2, 3, 9, 8)));
        // adaLN-Zero's gated residual: the gate a chunk of a wider [B, 6C] tensor (rows 3C apart here); C = 6 takes the
        // unvectorised kernel
        cs.add(c("gated_residual", "gatedResidual gatedResidualBackward binary reduce", x -> F.gatedResidual(x[0], x[1].slice(1, 16, 32), x[2]),
                rn(3644, 2, 9, 16), rn(3645, 2, 48), rn(3646, 2, 9, 16)));
        cs.add(c("gated_residual.unvectorised", "gatedResidual gatedResidualBackward binary reduce", x -> F.gatedResidual(x[0], x[1], x[2]),
                rn(3647, 3, 5, 6), rn(3648, 3, 6), rn(3649, 3, 5, 6)));
        // the gated residual with the next modulated norm of it (one pass on CUDA: C = 16 fits its rows); gate, shift and
        // scale chunks of one [B, 6C] modulation
        cs.add(c("gated_residual_layer_norm_modulate", "gatedResidualLayerNormModulate gatedResidualBackward layerNormModulateBackward binary reduce",
                x -> {
                    Tensor[] m = x[1].chunk(6, 1);
                    Tensor[] r = F.gatedResidualLayerNormModulate(x[0], m[2], x[2], m[3], m[4], 1e-6);
                    return Tensor.cat(0, r[0].flatten(), r[1].flatten());
                }, rn(3677, 2, 9, 16), rn(3678, 2, 96), rn(3679, 2, 9, 16)));
        // the norm's term first, so that the sum's other gradient reaches it before the norm's backward, which then does the
        // residual's backward too (on CUDA in the pass that writes the sum's gradient)
        cs.add(c("gated_residual_layer_norm_modulate.norm_first", "gatedResidualLayerNormModulate gatedLayerNormModulateBackward binary reduce",
                x -> {
                    Tensor[] m = x[1].chunk(6, 1);
                    Tensor[] r = F.gatedResidualLayerNormModulate(x[0], m[2], x[2], m[3], m[4], 1e-6);
                    return Tensor.cat(0, r[1].flatten(), r[0].flatten());
                }, rn(3680, 2, 9, 16), rn(3681, 2, 96), rn(3682, 2, 9, 16)));
        // the norm's backward taking over its input's gradient from a residual beside it (on CUDA added as dx is written)
        cs.add(c("layer_norm_modulate.residual", "layerNormModulate layerNormModulateBackward binary",
                x -> {
                    Tensor h = x[0].mul(1.5);
                    Tensor[] m = x[1].chunk(2, 1);
                    return F.layerNormModulate(h, m[0], m[1], 1e-6).add(h);
                }, rn(3690, 2, 9, 64), rn(3691, 2, 128)));
        cs.add(c("linear_of_gelu", "unary unaryBackward linear matmul reduce",
                x -> F.linearOf(UnaryOp.GELU_TANH, x[0], x[1], x[2]), rn(3641, 2, 5, 24), rn(3642, 7, 24), rn(3643, 7)));
        // kept activation: the weight and bias gradients in one call, GELU's input gradient offered to the backend first
        cs.add(c("linear_of_gelu_kept", "unary unaryBackward linear linearWeightGradients activationInputGradient",
                x -> F.linearOf(UnaryOp.GELU_TANH, x[0], x[1], x[2], false), rn(3644, 2, 5, 24), rn(3645, 7, 24), rn(3646, 7)));
        // an MLP's two layers: fc1 may write GELU beside its input (linearKeepingInput), fc2 keeps it
        cs.add(c("linear_of_linear_gelu", "linear linearKeepingInput unary unaryBackward linearWeightGradients activationInputGradient matmul",
                x -> F.linearOfLinear(x[0], x[1], x[2], UnaryOp.GELU_TANH, x[3], x[4]),
                rn(3692, 2, 5, 16), rn(3693, 24, 16), rn(3694, 24), rn(3695, 8, 24), rn(3696, 8)));
        cs.add(c("cross_entropy", "softmax softmaxBackward indexSelect indexAdd reduce",
                x -> F.crossEntropy(x[0], Tensor.ofLongs(new long[] {2, 0, 1, 3}, 4).to(x[0].device())), rn(3633, 4, 5)));
        cs.add(c32("dropout", "dropoutMask binary", x -> F.dropout(x[0], 0.3, true, new Generator(7)), rn(3634, 6, 50)));
        cs.add(c("mse_loss", "binary unary reduce", x -> F.mseLoss(x[0], x[1]), rn(3635, 3, 40), rn(3636, 3, 40)));
        // ---- in-place optimizer / EMA updates (on copies, so the inputs stay as they were); ragged sizes
        AdamUpdate adam = new AdamUpdate(3e-2, 0.9, 0.999, 1e-8, 0.997, 0.01, 0.271, Math.sqrt(0.003));
        cs.add(fwd("adam_update", "adamUpdate", x -> {
            Tensor p = x[0].mul(1), m = x[2].mul(0.1), v = x[3].square().mul(0.01);
            p.backend().adamUpdate(p, x[1], m, v, adam);
            return Tensor.cat(0, p, m, v);
        }, rn(3637, 3, 1001), rn(3638, 3, 1001), rn(3639, 3, 1001), rn(3640, 3, 1001)));
        cs.add(fwd("adam_update.strided", "adamUpdate", x -> {   // a transposed gradient: the composed default
            Tensor p = x[0].mul(1), m = x[2].mul(0.1), v = x[3].square().mul(0.01);
            p.backend().adamUpdate(p, x[1].mT(), m, v, adam);
            return Tensor.cat(0, p, m, v);
        }, rn(3641, 5, 7), rn(3642, 7, 5), rn(3643, 5, 7), rn(3644, 5, 7)));
        cs.add(fwd("lerp_into", "lerpInto", x -> {
            Tensor d = x[0].mul(1);
            d.backend().lerpInto(d, x[1], 0.3);
            d.mT().backend().lerpInto(d.mT(), x[1].mT(), 0.2);   // strided: the composed default
            return d;
        }, rn(3645, 37, 29), rn(3646, 37, 29)));
        // autocast's parameter copies and their gradients back: f32 -> bf16 -> f32 in multi-tensor launches on CUDA (a
        // transposed view takes the one-by-one cast), the bits of a cast each
        cs.add(fwd("cast_all", "castAll", x -> {
            List<Tensor> b = x[0].backend().castAll(List.of(x[0], x[1], x[2].mT()), DType.BF16);
            List<Tensor> f = x[0].backend().castAll(b, DType.F32);
            return Tensor.cat(0, f.get(0).flatten(), f.get(1).flatten(), f.get(2).flatten());
        }, rn(3697, 5000), rn(3698, 3, 7), rn(3699, 6, 4)));
        cs.add(fwd("sum_of_squares", "sumOfSquares", x -> x[0].backend().sumOfSquares(List.of(x[0], x[1], x[2].mT())).to(x[0].dtype()).reshape(1),
                rn(3647, 300, 301), rn(3648, 7), rn(3649, 5, 9)));
        // gradient clipping's scaling by a norm left on the device; more tensors than one launch takes, one strided (composed)
        cs.add(fwd("clip_scale_all", "clipScaleAll sumOfSquares unary", x -> {
            List<Tensor> g = pieces(x[0]);
            g.set(5, g.get(5).reshape(g.get(5).shape(1), g.get(5).shape(0)).mT());
            Tensor norm = x[0].backend().sumOfSquares(g).sqrt();
            return Tensor.cat(0, flat(x[0].backend().clipScaleAll(g, norm, 3.0)));
        }, rn(3664, PIECES_TOTAL)));
        // whole-model batches: more tensors than one multi-tensor launch takes, one spanning several chunks, one strided
        cs.add(fwd("adam_update_all", "adamUpdateAll", x -> {
            List<Tensor> p = pieces(x[0].mul(1)), g = pieces(x[1]), m = pieces(x[2].mul(0.1)), v = pieces(x[3].square().mul(0.01));
            g.set(5, g.get(5).reshape(g.get(5).shape(1), g.get(5).shape(0)).mT());   // [2,3] viewed through a transpose
            p.get(0).backend().adamUpdateAll(p, g, m, v, adam);
            return Tensor.cat(0, Tensor.cat(0, flat(p)), Tensor.cat(0, flat(m)), Tensor.cat(0, flat(v)));
        }, rn(3660, PIECES_TOTAL), rn(3661, PIECES_TOTAL), rn(3662, PIECES_TOTAL), rn(3663, PIECES_TOTAL)));
        cs.add(fwd("lerp_into_all", "lerpIntoAll", x -> {
            List<Tensor> d = pieces(x[0].mul(1)), src = pieces(x[1]);
            src.set(5, src.get(5).reshape(src.get(5).shape(1), src.get(5).shape(0)).mT());
            d.get(0).backend().lerpIntoAll(d, src, 0.3);
            return Tensor.cat(0, flat(d));
        }, rn(3664, PIECES_TOTAL), rn(3665, PIECES_TOTAL)));
        cs.add(fwd("sum_of_squares.many", "sumOfSquares", x -> x[0].backend().sumOfSquares(pieces(x[0])).to(x[0].dtype()).reshape(1),
                rn(3666, PIECES_TOTAL)));
        return cs;
    }

    /** Sizes of the pieces: 120 ragged small ones (piece 5 is 2x3), then one of 9000 elements (three 4096-element chunks). */
    private static final int[] PIECE_SIZES = pieceSizes();
    static final int PIECES_TOTAL = java.util.Arrays.stream(PIECE_SIZES).sum();

    private static int[] pieceSizes() {
        int[] s = new int[121];
        for (int i = 0; i < 120; i++) s[i] = i == 5 ? 6 : 1 + (i * 37) % 50;
        s[120] = 9000;
        return s;
    }

    /** x (1-D, PIECES_TOTAL long) cut into contiguous copies of PIECE_SIZES; piece 5 is [2, 3]. */
    static List<Tensor> pieces(Tensor x) {
        List<Tensor> out = new ArrayList<>();
        int at = 0;
        for (int i = 0; i < PIECE_SIZES.length; i++) {
            Tensor t = x.slice(0, at, at + PIECE_SIZES[i]).mul(1);
            out.add(i == 5 ? t.reshape(2, 3) : t);
            at += PIECE_SIZES[i];
        }
        return out;
    }

    private static Tensor[] flat(List<Tensor> ts) {
        return ts.stream().map(t -> t.reshape(-1)).toArray(Tensor[]::new);
    }

    static Tensor opOf(UnaryOp op, Tensor x) {
        return switch (op) {
            case NEG -> x.neg();
            case EXP -> x.exp();
            case LOG -> x.log();
            case SQRT -> x.sqrt();
            case RSQRT -> x.rsqrt();
            case ABS -> x.abs();
            case SQUARE -> x.square();
            case RECIPROCAL -> x.reciprocal();
            case SIN -> x.sin();
            case COS -> x.cos();
            case TANH -> x.tanh();
            case SIGMOID -> x.sigmoid();
            case SILU -> F.silu(x);
            case RELU -> F.relu(x);
            case GELU_ERF -> F.gelu(x);
            case GELU_TANH -> F.geluTanh(x);
            case ERF -> x.erf();
            default -> throw new AssertionError(op);
        };
    }

    static Tensor binOf(BinaryOp op, Tensor a, Tensor b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case POW -> a.pow(b);
            case MAXIMUM -> a.maximum(b);
            case MINIMUM -> a.minimum(b);
            case EQ -> a.eq(b);
            case NE -> a.ne(b);
            case LT -> a.lt(b);
            case LE -> a.le(b);
            case GT -> a.gt(b);
            case GE -> a.ge(b);
        };
    }

    static Device cuda() { return Device.cuda(0); }
}
