package dev.diffusion4j.models.lpips;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.TensorDiff;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Java side of bench/lpips_parity.py: loads DIR/vgg16.pth and DIR/lpips.pth (the PyTorch pickles the script wrote)
 * with {@link Lpips#load}, computes LPIPS(x, y) and the gradient of its sum with respect to y, and compares both with
 * PyTorch's in DIR/reference.safetensors, one "ok ..." or "FAIL ..." line each.
 * <pre>java -cp diffusion4j.jar:test-classes dev.diffusion4j.models.lpips.LpipsTorchParity DIR cpu|cuda [--widths 64,128,256,512,512]</pre>
 * Bounds: float64 on the CPU (the same math, to rounding) relative L2 1e-9 for both. f32 (TF32 off on both sides):
 * distances max error 1e-3 of the largest value and relative L2 1e-4; the gradient relative L2 1e-2, since a ReLU
 * whose input lies within f32 rounding of 0 may open on one side and not the other, and one such element (measured:
 * one of 65,536 at relu4_2 for the 64x64 VGG16 pair) moves the whole input gradient by about 2e-3 while the distances
 * agree to 1e-7. bf16 autocast (CUDA only, when the reference has it): relative L2 5e-2 for the distances and 1e-1 for
 * the gradient. Exit status 1 when any fails.
 */
public final class LpipsTorchParity {
    final List<String> lines = new ArrayList<>();
    boolean failed;

    public static void main(String[] args) throws IOException {
        if (args.length != 2 && !(args.length == 4 && args[2].equals("--widths")))
            throw new IllegalArgumentException("usage: LpipsTorchParity DIR DEVICE [--widths 64,128,256,512,512]");
        List<Integer> widths = args.length == 4 ? Arrays.stream(args[3].split(",")).map(Integer::parseInt).toList() : Vgg16Features.WIDTHS;
        LpipsTorchParity p = new LpipsTorchParity();
        p.run(Path.of(args[0]), widths, Device.parse(args[1]));
        p.lines.forEach(System.out::println);
        if (p.failed) System.exit(1);
    }

    void run(Path dir, List<Integer> widths, Device device) throws IOException {
        Map<String, Tensor> ref = StateDicts.load(dir.resolve("reference.safetensors"));
        Lpips lpips = Lpips.load(dir.resolve("vgg16.pth"), dir.resolve("lpips.pth"), widths, device);
        Tensor x = ref.get("x").to(device);
        if (device.equals(Device.CPU) && ref.containsKey("lpips_f64")) {
            String tag = "lpips " + widths + " f64 on cpu";
            Tensor y = ref.get("y").to(dev.diffusion4j.engine.DType.F64).detach().requiresGrad(true);
            Tensor d = lpips.to(Device.CPU, dev.diffusion4j.engine.DType.F64).distanceToFixed(ref.get("x").to(dev.diffusion4j.engine.DType.F64), y);
            d.sum().backward();
            compare(tag, "distance", d, ref.get("lpips_f64"), 1e-9, 1e-9);
            compare(tag, "d sum / dy", y.grad(), ref.get("grad_y_f64"), 1e-9, 1e-9);
        }
        for (Precision precision : new Precision[] {Precision.FP32, Precision.BF16}) {
            String s = precision == Precision.BF16 ? "_bf16" : "";
            if (!ref.containsKey("lpips" + s)) continue;
            precision.applyMathMode();
            String tag = "lpips " + widths + " " + precision.id() + " on " + device;
            Tensor y = ref.get("y").to(device).detach().requiresGrad(true);
            Tensor d;
            try (var ac = precision.autocast()) {
                d = lpips.distanceToFixed(x, y);
            }
            d.sum().backward();
            boolean bf16 = precision == Precision.BF16;
            compare(tag, "distance", d, ref.get("lpips" + s), bf16 ? 5e-2 : 1e-4, bf16 ? 1 : 1e-3);
            compare(tag, "d sum / dy", y.grad(), ref.get("grad_y" + s), bf16 ? 1e-1 : 1e-2, 1);
        }
        Precision.FP32.applyMathMode();
    }

    /** Passes when the relative L2 error is under {@code relL2} and the max error over the largest value under {@code maxRel}. */
    private void compare(String tag, String what, Tensor actual, Tensor reference, double relL2, double maxRel) {
        double[] e = TensorDiff.errors(actual, reference);
        boolean ok = e[1] < relL2 && e[0] < maxRel;
        failed |= !ok;
        lines.add(String.format(Locale.ROOT, "%s %s %s: max rel %.2e, rel L2 %.2e", ok ? "ok" : "FAIL", tag, what, e[0], e[1]));
    }
}
