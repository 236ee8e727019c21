package dev.diffusion4j.models;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Parameter;
import java.util.Locale;
import java.util.Map;

/**
 * One U-Net training step (forward, MSE loss, backward) on the CPU and on another device from identical weights and
 * inputs; compares the loss and every parameter's gradient. A main so the GPU machine can run it without JUnit.
 */
public final class UNetStepParity {
    private UNetStepParity() {}

    /** Returns a one-line summary; throws AssertionError when any relative error exceeds tol. */
    public static String check(Device device, double tol) {
        // scale-shift, learned sigma, two-head attention, no zero-init (so every gradient is non-trivial)
        UNetConfig cfg = new UNetConfig(3, 32, new int[] {1, 2}, 1, new int[] {8}, 16, 0.0, 0, 2, true, true, true, false, 4, 8);
        UNet cpu = new UNet(cfg, new Generator(0)), dev = new UNet(cfg, new Generator(0));
        dev.to(device);
        Generator g = new Generator(1);
        Tensor x = Tensor.randn(g, 4, 3, 16, 16), target = Tensor.randn(g, 4, 6, 16, 16);
        Tensor t = Tensor.ofLongs(new long[] {1, 250, 600, 999}, 4), labels = Tensor.ofLongs(new long[] {0, 3, 4, 2}, 4);
        Tensor lc = F.mseLoss(cpu.forward(x, t, labels), target);
        lc.backward();
        Tensor ld = F.mseLoss(dev.forward(x.to(device), t.to(device), labels.to(device)), target.to(device));
        ld.backward();
        double lossErr = Math.abs(lc.item() - ld.item()) / Math.abs(lc.item());
        double worst = 0;
        String worstName = "";
        Map<String, Parameter> pd = dev.namedParameters();
        for (var e : cpu.namedParameters().entrySet()) {
            double[] a = e.getValue().grad().toDoubleArray(), b = pd.get(e.getKey()).grad().to(Device.CPU).to(DType.F64).toDoubleArray();
            double maxA = 1e-30, maxD = 0;
            for (int i = 0; i < a.length; i++) { maxA = Math.max(maxA, Math.abs(a[i])); maxD = Math.max(maxD, Math.abs(a[i] - b[i])); }
            if (maxD / maxA > worst) { worst = maxD / maxA; worstName = e.getKey(); }
        }
        String summary = String.format(Locale.ROOT, "U-Net step parity on %s: loss %.7f vs %.7f (rel %.2e), %d parameter gradients, worst rel %.2e (%s)",
                device, lc.item(), ld.item(), lossErr, pd.size(), worst, worstName);
        if (lossErr > tol || worst > tol) throw new AssertionError(summary);
        return summary;
    }

    /**
     * The same step on {@code device} in f32 and under bf16 autocast from identical weights: the loss within 2% and
     * all gradients (which must come back as f32) within 5% in relative L2 norm.
     */
    public static String checkAutocast(Device device) {
        UNetConfig cfg = new UNetConfig(3, 32, new int[] {1, 2}, 1, new int[] {8}, 16, 0.0, 0, 2, true, true, true, false, 4, 8);
        UNet ref = new UNet(cfg, new Generator(0)), amp = new UNet(cfg, new Generator(0));
        ref.to(device);
        amp.to(device);
        Generator g = new Generator(1);
        Tensor x = Tensor.randn(g, 4, 3, 16, 16).to(device), target = Tensor.randn(g, 4, 6, 16, 16).to(device);
        Tensor t = Tensor.ofLongs(new long[] {1, 250, 600, 999}, 4).to(device), labels = Tensor.ofLongs(new long[] {0, 3, 4, 2}, 4).to(device);
        Tensor lr = F.mseLoss(ref.forward(x, t, labels), target);
        lr.backward();
        Tensor la;
        DType outType;
        try (var ac = dev.diffusion4j.engine.Autocast.bf16()) {
            Tensor out = amp.forward(x, t, labels);
            outType = out.dtype();
            la = F.mseLoss(out, target);
        }
        la.backward();
        double lossErr = Math.abs(lr.item() - la.item()) / Math.abs(lr.item());
        double diff2 = 0, ref2 = 0;
        Map<String, Parameter> pa = amp.namedParameters();
        for (var e : ref.namedParameters().entrySet()) {
            Tensor ga = pa.get(e.getKey()).grad();
            if (ga.dtype() != DType.F32) throw new AssertionError("gradient of " + e.getKey() + " is " + ga.dtype().id() + ", not f32");
            double[] a = e.getValue().grad().to(Device.CPU).to(DType.F64).toDoubleArray(), b = ga.to(Device.CPU).to(DType.F64).toDoubleArray();
            for (int i = 0; i < a.length; i++) { diff2 += (a[i] - b[i]) * (a[i] - b[i]); ref2 += a[i] * a[i]; }
        }
        double gradErr = Math.sqrt(diff2 / ref2);
        String summary = String.format(Locale.ROOT, "U-Net step under bf16 autocast on %s: output %s, loss %.6f vs f32 %.6f (rel %.2e), "
                + "gradients rel L2 %.2e", device, outType.id(), la.item(), lr.item(), lossErr, gradErr);
        if (outType != DType.BF16 || lossErr > 2e-2 || gradErr > 5e-2) throw new AssertionError(summary);
        return summary;
    }

    public static void main(String[] args) {
        System.out.println(check(Device.parse(args.length > 0 ? args[0] : "cuda"), args.length > 1 ? Double.parseDouble(args[1]) : 1e-4));
    }
}
