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

    public static void main(String[] args) {
        System.out.println(check(Device.parse(args.length > 0 ? args[0] : "cuda"), args.length > 1 ? Double.parseDouble(args[1]) : 1e-4));
    }
}
