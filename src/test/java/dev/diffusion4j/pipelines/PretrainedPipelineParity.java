package dev.diffusion4j.pipelines;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Java side of bench/diffusers_pipeline_parity.py: a diffusers pipeline folder sampled by {@link PretrainedPipeline}
 * from the initial noise diffusers started from.
 * <pre>
 * PretrainedPipelineParity DIR DEVICE   DIR/pipeline (model_index.json ...), DIR/inputs.safetensors (noise, steps,
 *                                       guidance, optional labels) -> DIR/java.safetensors (images in [-1, 1])
 * </pre>
 */
public final class PretrainedPipelineParity {
    private PretrainedPipelineParity() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Device device = Device.parse(args.length > 1 ? args[1] : "cpu");
        PretrainedPipeline p = PretrainedPipeline.load(dir.resolve("pipeline"), device);
        Map<String, Tensor> in = StateDicts.load(dir.resolve("inputs.safetensors"));
        int steps = (int) in.get("steps").item();
        double guidance = in.get("guidance").item();
        Tensor labels = in.get("labels");
        long[] l = null;
        if (labels != null) {
            float[] f = labels.toFloatArray();
            l = new long[f.length];
            for (int i = 0; i < f.length; i++) l[i] = (long) f[i];
        }
        Tensor images = p.sampleFrom(p.sampler(steps, 0), in.get("noise"), null, null, l, guidance, new Generator(0), null);
        StateDicts.save(dir.resolve("java.safetensors"), Map.of("images", images), Map.of());
        System.out.println("java: " + p.className() + ", " + steps + " steps, images " + java.util.Arrays.toString(images.shape()));
    }
}
