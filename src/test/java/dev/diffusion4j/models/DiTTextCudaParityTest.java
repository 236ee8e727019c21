package dev.diffusion4j.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Autocast;
import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Parameter;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A tiny text-conditioned DiT's forward and backward (MSE on all outputs) on the CPU and on CUDA from identical weights
 * and inputs: the output, the loss, every parameter's gradient and the context's gradient agree. Every weight is random
 * (the zero-initialised ones too), so gradients reach the cross-attention and the pooled projection.
 */
@Tag("gpu")
class DiTTextCudaParityTest {
    /** 16 tokens of width 64 in two heads, a context of 7 tokens of width 48, learned sigma, two blocks. */
    static final DiTConfig CFG = new DiTConfig(3, 8, 2, 64, 2, 2, 4.0, 0, true, 48);

    record Step(Tensor out, Tensor loss, DiT model, Tensor context) {}

    static Step step(Device device) { return step(device, false); }

    static Step step(Device device, boolean bf16) {
        DiT m = new DiT(CFG, new Generator(0));
        Generator w = new Generator(7);
        for (Parameter p : m.parameters()) if (p.requiresGrad()) p.copyFrom(Tensor.randn(w, p.shape()).mul(0.1));
        m.to(device);
        Generator g = new Generator(1);
        Tensor x = Tensor.randn(g, 3, 3, 8, 8).to(device), target = Tensor.randn(g, 3, 6, 8, 8).to(device);
        Tensor ctx = Tensor.randn(g, 3, 7, 48).to(device).detach().requiresGrad(true);
        Tensor t = Tensor.ofLongs(new long[] {1, 400, 999}, 3).to(device);
        Tensor out;
        try (var ac = bf16 ? Autocast.bf16() : null) {
            out = m.forward(x, t, null, ctx);
        }
        Tensor loss = F.mseLoss(out.to(DType.F32), target);
        loss.backward();
        return new Step(out, loss, m, ctx);
    }

    static String check(Device device, double tol) {
        Step c = step(Device.CPU), d = step(device);
        double outErr = TensorDiff.maxRel(d.out(), c.out()), lossErr = Math.abs(d.loss().item() - c.loss().item()) / c.loss().item();
        TensorDiff g = new TensorDiff();
        Map<String, Parameter> pd = d.model().namedParameters();
        for (var e : c.model().namedParameters().entrySet())
            if (e.getValue().requiresGrad()) g.add(e.getKey(), pd.get(e.getKey()).grad(), e.getValue().grad());
        g.add("context", d.context().grad(), c.context().grad());
        String s = String.format(Locale.ROOT, "text DiT step parity on %s vs CPU: output max rel %.2e, loss rel %.2e, gradients %s", device, outErr, lossErr, g);
        if (outErr > tol || lossErr > tol || g.worstRel() > tol) throw new AssertionError(s);
        return s;
    }

    /** bf16 autocast vs f32 on the device (DiTStepParity's bounds): output in bf16, loss within 2%, gradients within 5% (relative L2). */
    static String checkAutocast(Device device) {
        Step f = step(device, false), b = step(device, true);
        double lossErr = Math.abs(b.loss().item() - f.loss().item()) / f.loss().item();
        TensorDiff g = new TensorDiff();
        Map<String, Parameter> pb = b.model().namedParameters();
        for (var e : f.model().namedParameters().entrySet())
            if (e.getValue().requiresGrad()) g.add(e.getKey(), pb.get(e.getKey()).grad(), e.getValue().grad());
        g.add("context", b.context().grad(), f.context().grad());
        String s = String.format(Locale.ROOT, "text DiT step under bf16 autocast on %s: output %s, loss rel %.2e, gradients %s", device,
                b.out().dtype().id(), lossErr, g);
        if (b.out().dtype() != DType.BF16 || lossErr > 2e-2 || g.totalRel() > 5e-2) throw new AssertionError(s);
        return s;
    }

    static void requireCuda() {
        boolean cuda = Backends.cudaAvailable();
        if (!cuda) System.out.println("DiTTextCudaParityTest skipped: no CUDA device");
        Assumptions.assumeTrue(cuda, "no CUDA device");
    }

    @Test
    void forwardAndBackwardMatchTheCpu() {
        requireCuda();
        System.out.println(check(Device.cuda(0), 1e-4));
    }

    @Test
    void aStepUnderBf16AutocastStaysCloseToF32() {
        requireCuda();
        System.out.println(checkAutocast(Device.cuda(0)));
    }

    /** The comparison itself, on the CPU: the same step twice agrees exactly, so a GPU mismatch is the GPU's. */
    @Test
    void theStepIsDeterministicOnTheCpu() {
        String s = check(Device.CPU, 0);
        assertTrue(s.contains("loss rel 0.00e+00"), s);
    }
}
