package dev.diffusion4j.models.autoencoder;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plumbing of the diffusers parity check on the CPU: a folder and reference file with the keys bench/vae_parity.py
 * writes (here computed by our own models) pass, and a reference that is off fails. The real comparison with
 * diffusers runs on the GPU machine (scripts/gpu-vae.sh parity).
 */
class AutoencoderTorchParityTest {
    @TempDir Path tmp;

    @Test
    void klReferenceOfTheSameModelPassesAndAPerturbedOneFails() throws IOException {
        AutoencoderKL m = AutoencoderStepParity.tinyKl();
        Map<String, Tensor> ref = new LinkedHashMap<>();
        Tensor x = Tensor.rand(new Generator(1), 2, 3, 8, 8).affine(2, -1);
        ref.put("x", x);
        try (var g = GradMode.off()) {
            DiagonalGaussian q = m.encode(x);
            for (String s : new String[] {"", "_bf16"}) {
                ref.put("mode" + s, q.mode().contiguous());
                ref.put("logvar" + s, q.logvar().contiguous());
                ref.put("decoded" + s, m.decode(q.mode()));
            }
        }
        assertFalse(run(m, ref, "kl").failed, "identical outputs must pass");
        ref.put("decoded", ref.get("decoded").mul(1.01));
        AutoencoderTorchParity p = run(m, ref, "kl");
        assertTrue(p.failed);
        assertTrue(String.join("\n", p.lines).contains("FAIL kl fp32 on cpu decode(mode)"), String.join("\n", p.lines));
    }

    @Test
    void vqReferenceOfTheSameModelPasses() throws IOException {
        VQModel m = AutoencoderStepParity.tinyVq();
        m.eval();
        Map<String, Tensor> ref = new LinkedHashMap<>();
        Tensor x = Tensor.rand(new Generator(2), 2, 3, 8, 8).affine(2, -1);
        ref.put("x", x);
        try (var g = GradMode.off()) {
            Tensor h = m.encode(x).latents(null);
            VectorQuantizer.Quantized q = m.quantizer().quantize(h);
            for (String s : new String[] {"", "_bf16"}) {
                ref.put("latents" + s, h);
                ref.put("indices" + s, q.indices().reshape(-1));
                ref.put("quantized" + s, q.latents());
                ref.put("decoded_quantized" + s, m.decodeQuantized(q.latents()));
                ref.put("decoded" + s, m.decode(h));
            }
        }
        AutoencoderTorchParity p = run(m, ref, "vq");
        assertFalse(p.failed, String.join("\n", p.lines));
        assertTrue(String.join("\n", p.lines).contains("ok vq fp32 on cpu code indices: 32 of 32 the same"), String.join("\n", p.lines));
    }

    private AutoencoderTorchParity run(Autoencoder m, Map<String, Tensor> ref, String kind) throws IOException {
        DiffusersFolder.save(tmp.resolve("model"), m);
        StateDicts.save(tmp.resolve("reference.safetensors"), ref, Map.of());
        AutoencoderTorchParity p = new AutoencoderTorchParity();
        p.run(tmp, kind, Device.CPU);
        return p;
    }
}
