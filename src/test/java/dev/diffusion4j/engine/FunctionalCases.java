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
        cs.add(c("log_softmax", x -> F.logSoftmax(x[0], -1), rn(104, 3, 5)));
        cs.add(c("dropout", x -> F.dropout(x[0], 0.3, true, new Generator(7)), rn(105, 4, 5)));
        cs.add(c("mse_loss", x -> F.mseLoss(x[0], x[1]), rn(106, 3, 4), rn(107, 3, 4)));
        cs.add(c("cross_entropy", x -> F.crossEntropy(x[0], Tensor.ofLongs(new long[] {2, 0, 1}, 3)), rn(108, 3, 4)));
        cs.add(c("conv2d", x -> F.conv2d(x[0], x[1], x[2], 1, 1), rn(110, 2, 3, 5, 4), rn(111, 4, 3, 3, 3), rn(112, 4)));
        cs.add(c("conv2d_strided_grouped_dilated", x -> F.conv2d(x[0], x[1], null, new Conv2dParams(2, 1, 1, 2, 1, 2, 2)),
                rn(113, 2, 4, 7, 6), rn(114, 6, 2, 3, 2)));
        cs.add(c("conv2d_1x1", x -> F.conv2d(x[0], x[1], null, 1, 0), rn(115, 2, 3, 3, 3), rn(116, 5, 3, 1, 1)));
        cs.add(c("conv_transpose2d", x -> F.convTranspose2d(x[0], x[1], x[2], Conv2dParams.of(2, 1), 1), rn(117, 2, 3, 4, 3), rn(118, 3, 2, 3, 3), rn(119, 2)));
        cs.add(c("avg_pool2d", x -> F.avgPool2d(x[0], 2, 2), rn(120, 2, 3, 4, 6)));
        cs.add(c("upsample_nearest", x -> F.upsampleNearest(x[0], 2), rn(121, 2, 2, 3, 3)));
        cs.add(c("upsample_bilinear", x -> F.upsampleBilinear(x[0], 7, 5), rn(122, 2, 2, 3, 4)));
        cs.add(c("downsample_bilinear", x -> F.upsampleBilinear(x[0], 2, 3), rn(123, 1, 2, 5, 7)));
        return cs;
    }
}
