package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.GradientParity;
import dev.diffusion4j.nn.Parameter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One autoencoder training step (encode, posterior sample or quantisation, decode, MSE + regulariser, backward) on the
 * CPU and on another device from the same weights and inputs; compares the reconstruction, the loss and every
 * parameter gradient (relative L2). Used by the GPU parity test; on the CPU against itself it must agree exactly.
 */
final class AutoencoderStepParity {
    private AutoencoderStepParity() {}

    static AutoencoderKL tinyKl() {
        return AutoencoderGradTest.randomNorms(AutoencoderKLConfig.of(3, List.of(8, 16), 1, 4, 4, 8, 1).build(new Generator(1)), 2);
    }

    static VQModel tinyVq() {
        VQModel m = AutoencoderGradTest.randomNorms(VQModelConfig.of(3, List.of(8, 16), 1, 4, 4, 8, 64, 0).build(new Generator(3)), 4);
        m.quantizer().embedding().weight().copyFrom(Tensor.randn(new Generator(5), 64, 4));   // codes near the latents' scale
        return m;
    }

    private record Step(Tensor reconstruction, Tensor loss, Map<String, Parameter> params, Tensor codes) {}

    private static Step step(Autoencoder m, Device device) {
        m.to(device);
        Tensor x = Tensor.rand(new Generator(6), DType.F32, Device.CPU, 2, 3, 8, 8).affine(2, -1).to(device);
        Autoencoder.Encoding e = m.encode(x);
        Tensor rec = m.decode(e.latents(m instanceof AutoencoderKL ? new Generator(7) : null));
        Tensor loss = F.mseLoss(rec, x).add(e.regularization().mul(m instanceof AutoencoderKL ? 1e-3 : 1));
        loss.backward();
        Tensor codes = e instanceof VQModel.Encoding v ? v.quantized().indices() : null;
        return new Step(rec, loss, m.namedParameters(), codes);
    }

    /** "kl ...; vq ..." with the worst relative errors; throws when one exceeds tol. */
    static String check(Device device, double tol) {
        Precision.FP32.applyMathMode();
        StringBuilder sb = new StringBuilder();
        for (String kind : new String[] {"kl", "vq"}) {
            Autoencoder a = kind.equals("kl") ? tinyKl() : tinyVq(), b = kind.equals("kl") ? tinyKl() : tinyVq();
            Step cpu = step(a, Device.CPU), other = step(b, device);
            if (cpu.codes() != null && !java.util.Arrays.equals(cpu.codes().toLongArray(), other.codes().to(Device.CPU).toLongArray()))
                throw new AssertionError(kind + ": code indices differ between the CPU and " + device);
            double rec = AutoencoderTorchParity.errors(other.reconstruction(), cpu.reconstruction())[1];
            double loss = Math.abs(other.loss().item() - cpu.loss().item()) / Math.abs(cpu.loss().item());
            GradientParity grads = GradientParity.worst(other.params(), cpu.params());
            double worst = grads.relL2();
            String worstName = grads.name();
            String s = String.format(Locale.ROOT, "%s on %s vs cpu: reconstruction rel L2 %.2e, loss rel %.2e, worst gradient rel L2 %.2e (%s; floored at 1e-3 of all gradients' norm)",
                    kind, device, rec, loss, worst, worstName);
            if (rec > tol || loss > tol || worst > tol) throw new AssertionError("FAILED " + s);
            sb.append(sb.isEmpty() ? "" : "; ").append(s);
        }
        return sb.toString();
    }
}
