package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** One finite-difference check per differentiable op; the coverage test fails when an op has no case. */
class OpGradTest {
    record Case(String name, Function<Tensor[], Tensor> f, Tensor[] inputs) {}

    static Case c(String name, Function<Tensor[], Tensor> f, Tensor... inputs) { return new Case(name, f, inputs); }

    static Tensor rn(long seed, int... shape) { return GradCheck.randn(seed, shape); }
    static Tensor pos(long seed, int... shape) { return GradCheck.rand(seed, 0.5, 2.0, shape); }

    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        // unary maps (inputs kept away from kinks: abs/relu/clamp at 0 and edges have no derivative)
        cs.add(c("affine", x -> x[0].affine(1.5, -0.25), rn(1, 3, 4)));
        cs.add(c("neg", x -> x[0].neg(), rn(2, 3, 4)));
        cs.add(c("exp", x -> x[0].exp(), rn(3, 3, 4)));
        cs.add(c("log", x -> x[0].log(), pos(4, 3, 4)));
        cs.add(c("sqrt", x -> x[0].sqrt(), pos(5, 3, 4)));
        cs.add(c("rsqrt", x -> x[0].rsqrt(), pos(6, 3, 4)));
        cs.add(c("abs", x -> x[0].abs(), pos(7, 3, 4).mul(Tensor.of(new double[] {1, -1, 1, -1}, 4))));
        cs.add(c("square", x -> x[0].square(), rn(8, 3, 4)));
        cs.add(c("reciprocal", x -> x[0].reciprocal(), pos(9, 3, 4)));
        cs.add(c("pow_scalar", x -> x[0].pow(2.7), pos(10, 3, 4)));
        cs.add(c("clamp", x -> x[0].clamp(-0.5, 0.5), Tensor.of(new double[] {-1.3, -0.2, 0.1, 0.4, 0.9, 2.0}, 2, 3)));
        cs.add(c("sin", x -> x[0].sin(), rn(11, 3, 4)));
        cs.add(c("cos", x -> x[0].cos(), rn(12, 3, 4)));
        cs.add(c("tanh", x -> x[0].tanh(), rn(13, 3, 4)));
        cs.add(c("sigmoid", x -> x[0].sigmoid(), rn(14, 3, 4)));
        cs.add(c("silu", x -> F.silu(x[0]), rn(15, 3, 4)));
        cs.add(c("relu", x -> F.relu(x[0]), Tensor.of(new double[] {-1.3, -0.2, 0.1, 0.4, 0.9, 2.0}, 2, 3)));
        cs.add(c("gelu_erf", x -> F.gelu(x[0]), rn(16, 3, 4)));
        cs.add(c("gelu_tanh", x -> F.geluTanh(x[0]), rn(17, 3, 4)));
        cs.add(c("softplus", x -> F.softplus(x[0]), rn(18, 3, 4).mul(3)));
        cs.add(c("erf", x -> x[0].erf(), rn(19, 3, 4)));
        cs.add(c("sign", x -> x[0].sign().add(x[0]), rn(20, 3, 4)));
        // binary maps with broadcasting
        cs.add(c("add", x -> x[0].add(x[1]), rn(21, 2, 3, 4), rn(22, 3, 1)));
        cs.add(c("sub", x -> x[0].sub(x[1]), rn(23, 2, 3, 4), rn(24, 4)));
        cs.add(c("mul", x -> x[0].mul(x[1]), rn(25, 2, 1, 4), rn(26, 3, 1)));
        cs.add(c("div", x -> x[0].div(x[1]), rn(27, 2, 3), pos(28, 1, 3)));
        cs.add(c("pow", x -> x[0].pow(x[1]), pos(29, 2, 3), rn(30, 2, 3)));
        cs.add(c("maximum", x -> x[0].maximum(x[1]), rn(31, 3, 4), rn(32, 3, 4)));
        cs.add(c("minimum", x -> x[0].minimum(x[1]), rn(33, 3, 4), rn(34, 1, 4)));
        cs.add(c("where", x -> Tensor.where(x[0].gt(0.0), x[0], x[1]), rn(35, 3, 4), rn(36, 4)));
        // reductions
        cs.add(c("sum", x -> x[0].sum(new int[] {0, 2}, false), rn(40, 2, 3, 4)));
        cs.add(c("mean", x -> x[0].mean(1, true), rn(41, 2, 3, 4)));
        cs.add(c("max", x -> x[0].max(-1, false), rn(42, 2, 3, 4)));
        cs.add(c("min", x -> x[0].min(new int[] {0, 1}, true), rn(43, 2, 3, 4)));
        cs.add(c("var", x -> x[0].var(new int[] {1, 2}, true, false), rn(44, 2, 3, 4)));
        cs.add(c("logsumexp", x -> x[0].logsumexp(-1, false), rn(45, 2, 3, 4)));
        // shapes
        cs.add(c("reshape", x -> x[0].reshape(4, -1).mul(x[0].reshape(4, 6)), rn(50, 2, 3, 4)));
        cs.add(c("permute", x -> x[0].permute(2, 0, 1).contiguous().reshape(-1), rn(51, 2, 3, 4)));
        // reshape as a view of a strided tensor: a transposed dim split in two, a slice squeezed
        cs.add(c("reshape.view_of_transpose", x -> x[0].transpose(1, 2).reshape(2, 2, 2, 3).mul(x[1]), rn(5201, 2, 3, 4), rn(5202, 2, 2, 2, 3)));
        cs.add(c("reshape.view_of_slice", x -> x[0].slice(1, 1, 2).reshape(2, 4).square(), rn(5203, 2, 3, 4)));
        cs.add(c("transpose", x -> x[0].transpose(0, 2).mul(x[0].transpose(0, 2)), rn(52, 2, 3, 4)));
        cs.add(c("slice", x -> x[0].slice(2, 1, 4, 2).add(x[0].slice(0, 1, 2).slice(2, 0, 2)), rn(53, 2, 3, 5)));
        cs.add(c("expand", x -> x[0].expand(2, 3, 4).mul(GradCheck.randn(99, 2, 3, 4)), rn(54, 3, 1)));
        cs.add(c("flip", x -> x[0].flip(0, 2).mul(GradCheck.randn(98, 2, 3, 4)), rn(55, 2, 3, 4)));
        cs.add(c("cat", x -> Tensor.cat(1, x[0], x[1], x[0]), rn(56, 2, 3, 2), rn(57, 2, 1, 2)));
        cs.add(c("stack", x -> Tensor.stack(0, x[0], x[1].mul(x[0])), rn(58, 3, 2), rn(59, 3, 2)));
        cs.add(c("split", x -> x[0].split(2, 1)[1].mul(x[0].chunk(3, 1)[0]), rn(60, 2, 6)));
        cs.add(c("pad", x -> x[0].pad(new int[] {1, 2, 0, 1}, 0.5), rn(61, 2, 3, 2)));
        cs.add(c("squeeze_unsqueeze", x -> x[0].unsqueeze(1).squeeze(1).unsqueeze(-1), rn(62, 2, 3)));
        cs.add(c("index_select", x -> x[0].indexSelect(1, Tensor.ofLongs(new long[] {2, 0, 2, 1}, 4)), rn(63, 2, 3, 2)));
        cs.add(c("gather", x -> x[0].gather(1, Tensor.ofLongs(new long[] {2, 0, 1, 1, 0, 2}, 2, 3)), rn(64, 2, 4)));
        // linear algebra
        cs.add(c("matmul", x -> x[0].matmul(x[1]), rn(70, 3, 4), rn(71, 4, 5)));
        cs.add(c("matmul_batched", x -> x[0].matmul(x[1]), rn(72, 2, 3, 4), rn(73, 2, 4, 2)));
        cs.add(c("matmul_shared_weight", x -> x[0].matmul(x[1].mT()), rn(74, 2, 3, 4), rn(75, 5, 4)));
        cs.add(c("matmul_transposed_views", x -> x[0].mT().matmul(x[1].mT()), rn(76, 2, 4, 3), rn(77, 2, 5, 4)));
        cs.addAll(FunctionalCases.cases());
        return cs;
    }

    private static final Set<String> CHECKED = new java.util.concurrent.ConcurrentSkipListSet<>();

    @TestFactory
    Stream<DynamicTest> gradients() {
        return cases().stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> {
            GradCheck.check(k.name(), k.f(), k.inputs());
            CHECKED.add(k.name());
        }));
    }

    @Test
    void everyElementwiseOpHasACase() {
        Set<String> names = new java.util.HashSet<>();
        for (Case k : cases()) names.add(k.name());
        for (UnaryOp op : UnaryOp.values()) {
            String n = op == UnaryOp.POW ? "pow_scalar" : op.name().toLowerCase();
            assertTrue(names.contains(n), "no gradient check for unary op " + op);
        }
        for (BinaryOp op : EnumSet.complementOf(EnumSet.of(BinaryOp.EQ, BinaryOp.NE, BinaryOp.LT, BinaryOp.LE, BinaryOp.GT, BinaryOp.GE)))
            assertTrue(names.contains(op.name().toLowerCase()), "no gradient check for binary op " + op);
        for (ReduceOp op : ReduceOp.values()) assertTrue(names.contains(op.name().toLowerCase()), "no gradient check for " + op);
    }

    @Test
    void theCheckerCatchesAWrongBackward() {
        // an op whose recorded backward is deliberately off by a factor 2 must fail the check
        Function<Tensor[], Tensor> wrong = x -> {
            Tensor y = x[0].detach().square();
            Tensor in = x[0];
            return Autograd.record(y, "bad_square", g -> new Tensor[] {g.mul(in.detach()).mul(4.0)}, in);
        };
        assertThrows(AssertionError.class, () -> GradCheck.check("bad", wrong, rn(80, 3)));
    }
}
