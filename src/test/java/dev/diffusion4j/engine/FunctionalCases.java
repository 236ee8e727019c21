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
        return cs;
    }
}
