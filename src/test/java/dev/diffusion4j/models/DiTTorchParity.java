package dev.diffusion4j.models;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.SafeTensorsFile;
import dev.diffusion4j.nn.Parameter;
import dev.diffusion4j.nn.RawTensors;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The Java side of bench/dit_parity.py: loads the PyTorch DiT's weights by name into a preset's DiT, runs the same
 * training step on the same inputs and compares the output, the loss and every gradient with PyTorch's.
 * <pre>java -cp diffusion4j.jar:test-classes dev.diffusion4j.models.DiTTorchParity DIR dit-s/2 cuda fp32|bf16</pre>
 * Bounds: f32 (TF32 off on both sides) output max error 1e-3 of its largest value, loss 1e-4, every gradient within
 * 1e-3 in relative L2; bf16 autocast (rounding differs between the two implementations) output within 5% in relative
 * L2, loss within 2%, all gradients together within 5% in relative L2.
 */
public final class DiTTorchParity {
    private DiTTorchParity() {}

    public static String check(Path dir, String preset, Device device, Precision precision) throws IOException {
        DiT m = ModelPresets.dit(preset).build(new Generator(0));
        StateDicts.loadModel(dir.resolve("weights.safetensors"), m, true);
        m.to(device);
        Map<String, Tensor> in = StateDicts.load(dir.resolve("inputs.safetensors"));
        precision.applyMathMode();
        Tensor out;
        try (var ac = precision.autocast()) {
            out = m.forward(in.get("x").to(device), in.get("t").to(device), in.get("y").to(device));
        }
        Tensor loss = F.mseLoss(out.to(DType.F32), in.get("target").to(device));
        loss.backward();
        TensorDiff grads = new TensorDiff();
        double outErr, outL2, lossErr;
        try (SafeTensorsFile ref = SafeTensors.open(dir.resolve("reference.safetensors"))) {
            Tensor refOut = RawTensors.fromRaw(ref.read("output"));
            outErr = TensorDiff.maxRel(out, refOut);
            outL2 = new TensorDiff().add("output", out, refOut);
            double refLoss = RawTensors.fromRaw(ref.read("loss")).item();
            lossErr = Math.abs(loss.item() - refLoss) / refLoss;
            for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
                if (!e.getValue().requiresGrad()) continue;
                grads.add(e.getKey(), e.getValue().grad(), RawTensors.fromRaw(ref.read("grad." + e.getKey())));
            }
        }
        boolean f32 = precision != Precision.BF16;
        String s = String.format(Locale.ROOT, "DiT parity %s %s on %s vs PyTorch: output max rel %.2e (rel L2 %.2e), loss %.6f (rel %.2e), "
                + "gradients %s", preset, precision.id(), device, outErr, outL2, loss.item(), lossErr, grads);
        boolean ok = f32 ? outErr < 1e-3 && lossErr < 1e-4 && grads.worstRel() < 1e-3
                : outL2 < 5e-2 && lossErr < 2e-2 && grads.totalRel() < 5e-2;
        if (!ok) throw new AssertionError("FAILED " + s);
        return "ok " + s;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) throw new IllegalArgumentException("usage: DiTTorchParity DIR PRESET DEVICE fp32|bf16");
        System.out.println(check(Path.of(args[0]), args[1], Device.parse(args[2]), Precision.parse(args[3])));
    }
}
