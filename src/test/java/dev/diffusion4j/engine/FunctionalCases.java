package dev.diffusion4j.engine;

import static dev.diffusion4j.engine.OpGradTest.c;
import static dev.diffusion4j.engine.OpGradTest.rn;

import java.util.ArrayList;
import java.util.List;

/** Gradient-check cases for the functional (F) ops. */
final class FunctionalCases {
    private FunctionalCases() {}

    static List<OpGradTest.Case> cases() {
        List<OpGradTest.Case> cs = new ArrayList<>();
        cs.add(c("linear", x -> F.linear(x[0], x[1], x[2]), rn(100, 2, 3, 4), rn(101, 5, 4), rn(102, 5)));
        cs.add(c("softmax", x -> F.softmax(x[0], 1), rn(103, 2, 5, 3)));
        cs.add(c("softmax_last_dim", x -> F.softmax(x[0], -1), rn(130, 2, 3, 6)));
        cs.add(c("softmax_dim0_noncontiguous", x -> F.softmax(x[0].transpose(0, 2), 0), rn(131, 3, 2, 4)));
        cs.add(c("log_softmax", x -> F.logSoftmax(x[0], -1), rn(104, 3, 5)));
        cs.add(c("log_softmax_middle_dim", x -> F.logSoftmax(x[0], 1), rn(132, 2, 4, 3)));
        cs.add(c("dropout", x -> F.dropout(x[0], 0.3, true, new Generator(7)), rn(105, 4, 5)));
        cs.add(c("mse_loss", x -> F.mseLoss(x[0], x[1]), rn(106, 3, 4), rn(107, 3, 4)));
        cs.add(c("cross_entropy", x -> F.crossEntropy(x[0], Tensor.ofLongs(new long[] {2, 0, 1}, 3)), rn(108, 3, 4)));
        cs.add(c("conv2d", x -> F.conv2d(x[0], x[1], x[2], 1, 1), rn(110, 2, 3, 5, 4), rn(111, 4, 3, 3, 3), rn(112, 4)));
        cs.add(c("conv2d_strided_grouped_dilated", x -> F.conv2d(x[0], x[1], null, new Conv2dParams(2, 1, 1, 2, 1, 2, 2)),
                rn(113, 2, 4, 7, 6), rn(114, 6, 2, 3, 2)));
        cs.add(c("conv2d_add", x -> F.conv2dAdd(x[0], x[1], x[2], Conv2dParams.of(1, 1), x[3]), rn(117, 2, 3, 5, 4), rn(118, 4, 3, 3, 3), rn(119, 4),
                rn(120, 2, 4, 5, 4)));
        cs.add(c("conv2d_1x1", x -> F.conv2d(x[0], x[1], null, 1, 0), rn(115, 2, 3, 3, 3), rn(116, 5, 3, 1, 1)));
        cs.add(c("conv_transpose2d", x -> F.convTranspose2d(x[0], x[1], x[2], Conv2dParams.of(2, 1), 1), rn(117, 2, 3, 4, 3), rn(118, 3, 2, 3, 3), rn(119, 2)));
        cs.add(c("avg_pool2d", x -> F.avgPool2d(x[0], 2, 2), rn(120, 2, 3, 4, 6)));
        cs.add(c("upsample_nearest", x -> F.upsampleNearest(x[0], 2), rn(121, 2, 2, 3, 3)));
        cs.add(c("upsample_bilinear", x -> F.upsampleBilinear(x[0], 7, 5), rn(122, 2, 2, 3, 4)));
        cs.add(c("downsample_bilinear", x -> F.upsampleBilinear(x[0], 2, 3), rn(123, 1, 2, 5, 7)));
        // fused norms: groups > 1, spatial dims, with and without affine params, non-contiguous input
        cs.add(c("group_norm", x -> F.groupNorm(x[0], 2, x[1], x[2], 1e-5), rn(110, 2, 4, 3, 3), rn(111, 4), rn(112, 4)));
        cs.add(c("group_norm_no_affine", x -> F.groupNorm(x[0], 3, null, null, 1e-5), rn(113, 2, 6, 5)));
        cs.add(c("group_norm_rank2_weight_only", x -> F.groupNorm(x[0], 1, x[1], null, 1e-3), rn(114, 3, 4), rn(115, 4)));
        cs.add(c("group_norm_bias_only_per_channel", x -> F.groupNorm(x[0], 4, null, x[1], 1e-5), rn(133, 2, 4, 5), rn(134, 4)));
        cs.add(c("group_norm_noncontiguous", x -> F.groupNorm(x[0].permute(0, 3, 1, 2), 2, x[1], x[2], 1e-5),
                rn(116, 2, 3, 2, 4), rn(117, 4), rn(118, 4)));
        cs.add(c("group_norm_silu", x -> F.groupNormSilu(x[0], 2, x[1], x[2], 1e-5), rn(119, 2, 4, 3, 3), rn(120, 4), rn(121, 4)));
        cs.add(c("group_norm_silu_no_affine_3d", x -> F.groupNormSilu(x[0], 4, null, null, 1e-5), rn(122, 1, 8, 2, 2, 2)));
        cs.add(c("group_norm_silu_noncontiguous", x -> F.groupNormSilu(x[0].transpose(2, 3), 3, x[1], x[2], 1e-5),
                rn(135, 2, 6, 3, 2), rn(136, 6), rn(137, 6)));
        cs.add(c("layer_norm", x -> F.layerNorm(x[0], 1, x[1], x[2], 1e-5), rn(123, 2, 3, 5), rn(124, 5), rn(125, 5)));
        cs.add(c("layer_norm_2dims", x -> F.layerNorm(x[0], 2, x[1], x[2], 1e-5), rn(126, 3, 2, 4), rn(127, 2, 4), rn(128, 2, 4)));
        cs.add(c("layer_norm_modulate", x -> F.layerNormModulate(x[0], x[1], x[2], 1e-6), rn(130, 2, 3, 5), rn(131, 2, 5), rn(132, 2, 5)));
        cs.add(c("layer_norm_modulate_chunks", x -> F.layerNormModulate(x[0], x[1].chunk(3, 1)[2], x[1].chunk(3, 1)[0], 1e-5), rn(133, 2, 4, 3), rn(134, 2, 9)));
        cs.add(c("layer_norm_no_affine_noncontiguous", x -> F.layerNorm(x[0].transpose(0, 1), 1, null, null, 1e-5), rn(129, 4, 3)));
        // attention: learned additive mask (gets a gradient), default scale, 4-D [B, H, L, D]
        cs.add(c("attention", x -> F.scaledDotProductAttention(x[0], x[1], x[2], x[3], Double.NaN),
                rn(140, 2, 2, 3, 4), rn(141, 2, 2, 5, 4), rn(142, 2, 2, 5, 3), rn(143, 3, 5)));
        cs.add(c("attention_no_mask_3d", x -> F.scaledDotProductAttention(x[0], x[1], x[2], null, 0.7),
                rn(144, 2, 4, 3), rn(145, 2, 2, 3), rn(146, 2, 2, 5)));
        Tensor causal = causalMask(4);
        cs.add(c("attention_causal_transposed_k", x -> F.scaledDotProductAttention(x[0], x[1].transpose(2, 3), x[2], causal, Double.NaN),
                rn(147, 1, 2, 4, 3), rn(148, 1, 2, 3, 4), rn(149, 1, 2, 4, 2)));
        cs.add(c("attention_packed", x -> F.scaledDotProductAttentionPacked(x[0], Double.NaN), rn(151, 3, 2, 2, 5, 4)));
        cs.add(c("attention_packed_strided", x -> F.scaledDotProductAttentionPacked(x[0].permute(2, 0, 1, 3), 0.6), rn(152, 2, 5, 3, 4)));
        cs.add(c("embedding", x -> F.embedding(x[0], Tensor.ofLongs(new long[] {3, 0, 3, 1, 4, 2}, 2, 3)), rn(150, 5, 4)));
        return cs;
    }

    /** Additive causal mask [L, L] in f64: 0 on and below the diagonal, -inf above. */
    static Tensor causalMask(int l) {
        double[] m = new double[l * l];
        for (int i = 0; i < l; i++) for (int j = i + 1; j < l; j++) m[i * l + j] = Double.NEGATIVE_INFINITY;
        return Tensor.of(m, l, l);
    }
}
