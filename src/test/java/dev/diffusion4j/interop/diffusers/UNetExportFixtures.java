package dev.diffusion4j.interop.diffusers;

import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.nn.StateDicts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Java side of bench/diffusers_unet_export_check.py: writes small randomly initialised U-Nets as DDPMPipeline
 * folders (attention on and off, several heads, class-conditional, learned sigma with scale-shift norm), each with a
 * check.safetensors of inputs and our forward's outputs (whole and fractional timesteps) and the schedule's betas.
 *
 *   java -cp target/classes:target/test-classes:$(deps) dev.diffusion4j.interop.diffusers.UNetExportFixtures OUT [cpu|cuda]
 */
public final class UNetExportFixtures {
    record Case(String name, UNetConfig config, NoiseSchedule schedule, boolean zeroSnr, Parameterization p, VarianceType v) {}

    static UNetConfig unet(int[] mult, int blocks, int[] attn, int res, int headChannels, int heads, boolean scaleShift, boolean learnSigma, int classes) {
        return new UNetConfig(3, 16, mult, blocks, attn, res, 0.0, headChannels, heads, scaleShift, learnSigma, true, false, classes, 4);
    }

    static final Case[] CASES = {
            new Case("attention", unet(new int[] {1, 2}, 1, new int[] {4}, 8, 0, 1, false, false, 0), NoiseSchedule.linear(1000), false, Parameterization.EPS, VarianceType.FIXED_SMALL),
            new Case("no-attention", unet(new int[] {1, 2}, 2, new int[] {}, 8, 0, 1, false, false, 0), NoiseSchedule.cosine(1000), false, Parameterization.V, VarianceType.FIXED_LARGE),
            new Case("two-heads", unet(new int[] {1, 2, 2}, 1, new int[] {4, 2}, 8, 0, 2, false, false, 0), NoiseSchedule.linear(500), false, Parameterization.EPS, VarianceType.FIXED_SMALL),
            new Case("class-conditional", unet(new int[] {1, 2}, 1, new int[] {8}, 8, 8, 1, false, false, 5), NoiseSchedule.scaledLinear(1000), false, Parameterization.X0, VarianceType.FIXED_SMALL),
            new Case("learned-sigma-scale-shift", unet(new int[] {1, 2, 2}, 2, new int[] {8, 2}, 8, 8, 1, true, true, 0),
                    NoiseSchedule.linear(1000).rescaledToZeroTerminalSnr(), true, Parameterization.EPS, VarianceType.LEARNED_RANGE),
    };

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Device dev = args.length > 1 ? Device.parse(args[1]) : Device.CPU;
        for (Case c : CASES) {
            UNet model = new UNet(c.config(), new Generator(42));
            Path dir = out.resolve(c.name());
            DdpmPipelineFolder.write(dir, model, c.schedule(), c.zeroSnr(), c.p(), c.v(), true);
            model.to(dev);
            model.eval();
            int n = 2, r = c.config().resolution();
            Tensor x = Tensor.randn(new Generator(7), n, 3, r, r);
            Tensor tInt = Tensor.ofLongs(new long[] {3, c.schedule().steps() - 1}, n);
            Tensor tFrac = Tensor.of(new double[] {10.5, 250.25}, n).to(x.dtype());
            Tensor labels = c.config().numClasses() > 0 ? Tensor.ofLongs(new long[] {1, c.config().numClasses()}, n) : null;
            Map<String, Tensor> check = new LinkedHashMap<>();
            try (var g = GradMode.off()) {
                check.put("x", x);
                check.put("t_int", tInt);
                check.put("t_frac", tFrac);
                if (labels != null) check.put("labels", labels);
                check.put("out_int", model.forward(x.to(dev), tInt.to(dev), labels == null ? null : labels.to(dev)).to(Device.CPU));
                check.put("out_frac", model.forward(x.to(dev), tFrac.to(dev), labels == null ? null : labels.to(dev)).to(Device.CPU));
                check.put("betas", Tensor.of(c.schedule().betas(), c.schedule().steps()));
            }
            StateDicts.save(dir.resolve("check.safetensors"), check, Map.of());
            System.out.println("wrote " + dir + " (" + model.parameters().stream().mapToLong(p -> p.data().numel()).sum() + " parameters)");
        }
        Files.writeString(out.resolve("cases.txt"), String.join("\n", java.util.Arrays.stream(CASES).map(Case::name).toList()) + "\n");
    }
}
