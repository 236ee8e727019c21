package dev.diffusion4j.interop.diffusers;

import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.models.autoencoder.AutoencoderKL;
import dev.diffusion4j.models.autoencoder.AutoencoderPresets;
import dev.diffusion4j.models.text.ClipTextConfig;
import dev.diffusion4j.models.text.ClipTextModel;
import dev.diffusion4j.models.text.ClipTokenizer;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.pipelines.PretrainedPipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java side of bench/diffusers_sd_export_check.py: writes small randomly initialised latent text-to-image models
 * (U-Nets in Stable Diffusion's attention layout, a KL-f4 VAE, a CLIP-like text encoder over data/captions/emoji-bpe-2048
 * padding to fewer tokens than it has positions) as StableDiffusionPipeline folders through {@link StableDiffusionFolder},
 * each with a check.safetensors: the prompts' token ids and context (our text encoder's last hidden state; also the empty
 * prompt's, what guidance steers from), our U-Net's
 * outputs on that context at three timesteps, our VAE's decode of scaled latents, the schedule's betas, and the images
 * {@link PretrainedPipeline#sampleFrom} makes from the folder with 5 DDIM steps at guidance 1 and 3 from recorded noise.
 *
 *   java -cp target/classes:target/test-classes:$(deps) dev.diffusion4j.interop.diffusers.StableDiffusionExportFixtures OUT [cpu|cuda]
 */
public final class StableDiffusionExportFixtures {
    record Case(String name, UNetConfig unet, NoiseSchedule schedule, Parameterization p, int maxLength) {}

    static UNetConfig unet(int[] mult, int[] attn, int headChannels, int heads, boolean scaleShift) {
        return new UNetConfig(4, 32, mult, 1, attn, 8, 0.0, headChannels, heads, scaleShift, false, true, false, 0, 8, 0, 64, true);
    }

    static final Case[] CASES = {
            new Case("one-head", unet(new int[] {1, 2, 2}, new int[] {8}, 0, 1, true), NoiseSchedule.scaledLinear(1000), Parameterization.EPS, 16),
            new Case("head-width-16", unet(new int[] {1, 2}, new int[] {8, 4}, 16, 1, false), NoiseSchedule.linear(1000), Parameterization.V, 32),
            new Case("two-heads-cosine", unet(new int[] {1, 2}, new int[] {4}, 0, 2, true), NoiseSchedule.cosine(100), Parameterization.EPS, 12),
    };

    static final List<String> PROMPTS = List.of("a red circle on white", "🙂 smiling face");

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Device dev = args.length > 1 ? Device.parse(args[1]) : Device.CPU;
        Path vocab = Path.of("data/captions/emoji-bpe-2048");
        for (Case c : CASES) {
            ClipTokenizer tok = ClipTokenizer.load(vocab).withMaxLength(c.maxLength());
            ClipTextModel text = new ClipTextModel(ClipTextConfig.preset("text-tiny", tok), new Generator(3));
            UNet unet = new UNet(c.unet(), new Generator(42));
            AutoencoderKL vae = new AutoencoderKL(AutoencoderPresets.kl("kl-f4-tiny"), new Generator(5));
            double scale = 0.7;
            Path dir = out.resolve(c.name());
            StableDiffusionFolder.write(dir, new StableDiffusionFolder.Parts(unet, vae, scale, text, tok, vocab), c.schedule(), false, c.p(), false);
            unet.to(dev).eval();
            vae.to(dev).eval();
            text.to(dev).eval();
            int n = PROMPTS.size(), r = c.unet().resolution();
            Map<String, Tensor> check = new LinkedHashMap<>();
            try (var g = GradMode.off()) {
                Tensor ids = tok.encodeBatch(PROMPTS);
                Tensor context = text.forward(ids.to(dev));
                Tensor x = Tensor.randn(new Generator(7), DType.F32, Device.CPU, n, 4, r, r);
                check.put("input_ids", ids);
                check.put("context", context.to(Device.CPU));
                check.put("context_empty", text.forward(tok.encodeBatch(java.util.Collections.nCopies(PROMPTS.size(), "")).to(dev)).to(Device.CPU));
                check.put("x", x);
                for (int k : new int[] {0, c.schedule().steps() / 3, c.schedule().steps() - 1}) {
                    Tensor tk = Tensor.full(k, DType.F32, Device.CPU, n);
                    check.put("t_" + k, tk);
                    check.put("unet_" + k, unet.forwardWithContext(x.to(dev), tk.to(dev), null, context).to(Device.CPU));
                }
                check.put("latents", x);
                check.put("decoded", vae.decode(x.to(dev).mul(1.0 / scale)).to(Device.CPU));
                check.put("betas", Tensor.of(c.schedule().betas(), c.schedule().steps()));
                PretrainedPipeline pipe = PretrainedPipeline.load(dir, dev);
                Tensor noise = Tensor.randn(new Generator(11), DType.F32, Device.CPU, n, 4, r, r);
                check.put("noise", noise);
                for (int w : new int[] {1, 3})
                    check.put("images_w" + w, pipe.sampleFrom(pipe.sampler(5, 0), noise, PROMPTS, null, null, w, new Generator(1), null));
            }
            StateDicts.save(dir.resolve("check.safetensors"), check, Map.of());
            Files.writeString(dir.resolve("prompts.json"), Json.writePretty(PROMPTS) + "\n");
            System.out.println("wrote " + dir + " (U-Net " + unet.parameters().stream().mapToLong(p -> p.data().numel()).sum() + " parameters)");
        }
        Files.writeString(out.resolve("cases.txt"), String.join("\n", java.util.Arrays.stream(CASES).map(Case::name).toList()) + "\n");
    }
}
