package dev.diffusion4j.models;

import dev.diffusion4j.engine.Autocast;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Parameter;
import java.util.Locale;
import java.util.Map;

/**
 * One DiT training step (forward, MSE on all 2C outputs, backward) on the CPU and on another device, or in f32 and
 * under bf16 autocast on one device, from identical weights and inputs: compares the output, the loss and every
 * trainable parameter's gradient. The zero-initialised layers get random weights so every gradient is non-trivial.
 */
public final class DiTStepParity {
    private DiTStepParity() {}

    /** Two heads of 32, 64 tokens, learned sigma, 4 classes plus the null row. */
    static final DiTConfig CFG = new DiTConfig(3, 16, 2, 64, 2, 2, 4.0, 4, true);

    static DiT model(Device device) {
        DiT m = new DiT(CFG, new Generator(0));
        Generator g = new Generator(7);
        for (var e : m.namedParameters().entrySet())
            if (e.getKey().contains("adaLN_modulation") || e.getKey().startsWith("final_layer.linear"))
                e.getValue().copyFrom(Tensor.randn(g, e.getValue().shape()).mul(0.05));
        m.to(device);
        return m;
    }

    record Step(Tensor out, Tensor loss, DiT model) {}

    static Step step(Device device, boolean bf16) {
        DiT m = model(device);
        Generator g = new Generator(1);
        Tensor x = Tensor.randn(g, 4, 3, 16, 16).to(device), target = Tensor.randn(g, 4, 6, 16, 16).to(device);
        Tensor t = Tensor.ofLongs(new long[] {1, 250, 600, 999}, 4).to(device), labels = Tensor.ofLongs(new long[] {0, 3, 4, 2}, 4).to(device);
        Tensor out;
        try (var ac = bf16 ? Autocast.bf16() : null) {
            out = m.forward(x, t, labels);
        }
        Tensor loss = F.mseLoss(out.to(DType.F32), target);
        loss.backward();
        return new Step(out, loss, m);
    }

    static TensorDiff gradients(DiT actual, DiT reference) {
        TensorDiff d = new TensorDiff();
        Map<String, Parameter> pa = actual.namedParameters();
        for (var e : reference.namedParameters().entrySet()) {
            if (!e.getValue().requiresGrad()) continue;
            Tensor ga = pa.get(e.getKey()).grad();
            if (ga.dtype() != DType.F32) throw new AssertionError("gradient of " + e.getKey() + " is " + ga.dtype().id() + ", not f32");
            d.add(e.getKey(), ga, e.getValue().grad());
        }
        return d;
    }

    /** CPU vs device in f32; throws when the output, loss or any gradient differs by more than tol (relative). */
    public static String check(Device device, double tol) {
        Step c = step(Device.CPU, false), d = step(device, false);
        double outErr = TensorDiff.maxRel(d.out(), c.out()), lossErr = Math.abs(d.loss().item() - c.loss().item()) / c.loss().item();
        TensorDiff g = gradients(d.model(), c.model());
        String s = String.format(Locale.ROOT, "DiT step parity on %s vs CPU: output max rel %.2e, loss rel %.2e, gradients %s", device, outErr, lossErr, g);
        if (outErr > tol || lossErr > tol || g.worstRel() > tol) throw new AssertionError(s);
        return s;
    }

    /** bf16 autocast vs f32 on the device: output in bf16, loss within 2%, gradients (f32) within 5% in relative L2. */
    public static String checkAutocast(Device device) {
        Step f = step(device, false), b = step(device, true);
        double lossErr = Math.abs(b.loss().item() - f.loss().item()) / f.loss().item();
        TensorDiff g = gradients(b.model(), f.model());
        String s = String.format(Locale.ROOT, "DiT step under bf16 autocast on %s: output %s, loss rel %.2e, gradients %s", device,
                b.out().dtype().id(), lossErr, g);
        if (b.out().dtype() != DType.BF16 || lossErr > 2e-2 || g.totalRel() > 5e-2) throw new AssertionError(s);
        return s;
    }

    public static void main(String[] args) {
        Device d = Device.parse(args.length > 0 ? args[0] : "cuda");
        System.out.println(check(d, args.length > 1 ? Double.parseDouble(args[1]) : 1e-4));
        System.out.println(checkAutocast(d));
    }
}
