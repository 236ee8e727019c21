package dev.diffusion4j.models.unet2d;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.LayerNorm;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Java side of bench/diffusers_unet_parity.py. For each case folder DIR/CASE: loads the folder diffusers saved
 * (CASE/model) with {@link UNet2DFolder}, runs CASE/inputs.safetensors and writes the outputs per dtype to
 * CASE/java.safetensors (out_float32, out_bfloat16); then builds a U-Net of the same config from its own seed (norm
 * affines and biases drawn too), saves it as CASE/java_model for diffusers' from_pretrained, and writes its outputs to
 * CASE/java_model_out.safetensors. The script compares.
 * <pre>java -cp ... dev.diffusion4j.models.unet2d.UNet2DDiffusersParity DIR cpu|cuda float32,bfloat16 CASE,CASE</pre>
 */
public final class UNet2DDiffusersParity {
    private UNet2DDiffusersParity() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 4) throw new IllegalArgumentException("usage: UNet2DDiffusersParity DIR DEVICE DTYPES CASES");
        Device device = Device.parse(args[1]);
        for (String name : args[3].split(",")) {
            Path dir = Path.of(args[0], name);
            Map<String, Tensor> in = StateDicts.load(dir.resolve("inputs.safetensors"));
            UNet2D loaded = UNet2DFolder.load(dir.resolve("model"));
            StateDicts.save(dir.resolve("java.safetensors"), outputs(loaded, in, device, args[2]), Map.of());
            UNet2D own = new UNet2D(loaded.config(), new Generator(7));
            randomise(own, new Generator(8));
            UNet2DFolder.save(dir.resolve("java_model"), own);
            StateDicts.save(dir.resolve("java_model_out.safetensors"), outputs(own, in, device, args[2]), Map.of());
            System.out.println("wrote " + name + " (" + loaded.numParameters() + " parameters)");
        }
        Precision.FP32.applyMathMode();
    }

    /** out_DTYPE for each dtype: f32 (TF32 off) or bf16 autocast. */
    static Map<String, Tensor> outputs(UNet2D m, Map<String, Tensor> in, Device device, String dtypes) {
        m.to(device);
        m.eval();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String dt : dtypes.split(",")) {
            Precision p = switch (dt) {
                case "float32" -> Precision.FP32;
                case "bfloat16" -> Precision.BF16;
                default -> throw new IllegalArgumentException("dtype " + dt + ": float32 or bfloat16");
            };
            p.applyMathMode();
            try (var g = GradMode.off(); var ac = p.autocast()) {
                out.put("out_" + dt, run(m, in, device).to(dev.diffusion4j.engine.DType.F32).to(Device.CPU));
            }
        }
        return out;
    }

    static Tensor run(UNet2D m, Map<String, Tensor> in, Device device) {
        Tensor labels = in.get("class_labels"), ctx = in.get("encoder_hidden_states");
        return m.forwardWithContext(in.get("sample").to(device), in.get("timestep").to(device), labels == null ? null : labels.to(device),
                ctx == null ? null : ctx.to(device));
    }

    /** As the script's randomise: norm affines N(1, 0.2) and N(0, 0.2), conv and linear biases N(0, 0.05). */
    static void randomise(Module model, Generator gen) {
        for (Module m : model.namedModules().values()) {
            switch (m) {
                case GroupNorm n -> { Init.normal(n.weight(), 1, 0.2, gen); Init.normal(n.bias(), 0, 0.2, gen); }
                case LayerNorm n -> { Init.normal(n.weight(), 1, 0.2, gen); Init.normal(n.bias(), 0, 0.2, gen); }
                case Linear l when l.bias() != null -> Init.normal(l.bias(), 0, 0.05, gen);
                case Conv2d c when c.bias() != null -> Init.normal(c.bias(), 0, 0.05, gen);
                default -> { }
            }
        }
    }
}
