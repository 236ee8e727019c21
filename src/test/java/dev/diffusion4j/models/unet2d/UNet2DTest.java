package dev.diffusion4j.models.unet2d;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.SafeTensorsException;
import dev.diffusion4j.models.TensorDiff;
import dev.diffusion4j.models.UNet2DConfig;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import dev.diffusion4j.models.unet2d.UNet2DLayout.Attention;
import dev.diffusion4j.nn.CrossAttention;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The diffusers U-Nets: parameter counts, loading by name against real diffusers outputs (the fixture folders that
 * bench/diffusers_unet_parity.py fixture wrote with diffusers' save_pretrained), strict loading, config binding and
 * refusals, and folders written back as diffusers writes them.
 */
class UNet2DTest {
    @TempDir Path tmp;

    static Path fixture(String name) {
        try {
            return Path.of(UNet2DTest.class.getResource("/dev/diffusion4j/models/unet2d/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static final List<String> CASES = List.of("ddpm_attn_tiny", "cond_tiny");

    @Test
    void stableDiffusionOneUNetHasExactlyItsParameterCount() {
        UNet2DConditionConfig sd = UNet2DConditionConfig.sd1();
        assertEquals(859_520_964L, sd.parameterCount());
        UNet2DLayout l = sd.layout();
        // the attention_head_dim trap: 8 is the number of heads at every level, so 40, 80, 160, 160 channels a head
        assertEquals(List.of(8, 8, 8, 0), l.down().stream().map(UNet2DLayout.Block::heads).toList());
        assertEquals(8, l.mid().heads());
        assertEquals(1280, l.timeEmbedDim());
    }

    /** Stable Diffusion 1.5's and 2.1's unet/config.json as their repositories hold them (older diffusers, fewer keys). */
    @Test
    void publishedStableDiffusionConfigsReadWithTheirCounts() throws IOException {
        String sd15 = """
                {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.6.0", "act_fn": "silu", "attention_head_dim": 8,
                 "block_out_channels": [320, 640, 1280, 1280], "center_input_sample": false, "cross_attention_dim": 768,
                 "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
                 "downsample_padding": 1, "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4, "layers_per_block": 2,
                 "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4, "sample_size": 64,
                 "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]}
                """;
        Path f = Files.writeString(tmp.resolve("config.json"), sd15);
        UNet2DConfig c = UNet2DFolder.readConfig(f);
        assertEquals(UNet2DConditionConfig.sd1(), c);
        assertEquals(859_520_964L, c.parameterCount());
        String sd21 = sd15.replace("\"_diffusers_version\": \"0.6.0\"", "\"_diffusers_version\": \"0.10.0.dev0\"")
                .replace("\"attention_head_dim\": 8", "\"attention_head_dim\": [5, 10, 20, 20], \"dual_cross_attention\": false,"
                        + " \"num_class_embeds\": null, \"only_cross_attention\": false, \"upcast_attention\": true, \"use_linear_projection\": true")
                .replace("\"cross_attention_dim\": 768", "\"cross_attention_dim\": 1024").replace("\"sample_size\": 64", "\"sample_size\": 96");
        Files.writeString(f, sd21);
        UNet2DConditionConfig c21 = (UNet2DConditionConfig) UNet2DFolder.readConfig(f);
        assertEquals(865_910_724L, c21.parameterCount());   // diffusers' count for this config
        assertEquals(List.of(5, 10, 20, 20), c21.layout().down().stream().map(b -> b.attention() == Attention.NONE ? 20 : b.heads()).toList());
        assertTrue(c21.layout().linearProjection());
    }

    /** The count from the layout is the count of the built network, over every kind of block and option. */
    @Test
    void parameterCountFromTheConfigIsTheBuiltNetworksCount() throws IOException {
        List<UNet2DConfig> configs = new java.util.ArrayList<>();
        for (String c : CASES) configs.add(UNet2DFolder.readConfig(fixture(c).resolve("model/config.json")));
        UNet2DConditionConfig cond = (UNet2DConditionConfig) configs.get(1);
        configs.add(cond.withClasses(3).withContextDim(5));
        configs.add(new UNet2DConditionConfig(8, 4, 4, false, true, 0, List.of("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"), "",
                List.of("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"), List.of(8, 16, 16), 2, 1, 1, 0, "silu", 4, 1e-5, 6, 2,
                List.of(2, 4, 4), 0, true, "", 0, false, "default", "positional", 24, false));
        configs.add(new UNet2DModelConfig(8, 1, 2, true, "positional", 0, 1, false, List.of("AttnDownBlock2D", "DownBlock2D", "DownBlock2D"),
                "UNetMidBlock2D", List.of("UpBlock2D", "UpBlock2D", "AttnUpBlock2D"), List.of(8, 16, 24), 1, 1.5, 0, "conv", "conv", 0, "silu",
                0, 4, 2, 1e-6, "default", false, "", 5, 0, true));   // 4 classes and a "no class" row
        for (UNet2DConfig c : configs) assertEquals(c.build(new Generator(1)).numParameters(), c.parameterCount(), c.toString());
    }

    /** Loading by name reproduces diffusers' own outputs (f32, CPU) on the fixture folders. */
    @Test
    void fixtureFoldersReproduceDiffusersOutputs() throws IOException {
        for (String name : CASES) {
            UNet2D m = UNet2DFolder.load(fixture(name).resolve("model"));
            m.eval();
            Map<String, Tensor> in = StateDicts.load(fixture(name).resolve("inputs.safetensors"));
            Tensor ref = StateDicts.load(fixture(name).resolve("reference.safetensors")).get("out_float32");
            try (var g = GradMode.off()) {
                double[] e = TensorDiff.errors(UNet2DDiffusersParity.run(m, in, dev.diffusion4j.engine.Device.CPU), ref);
                assertTrue(e[1] < 1e-5 && e[0] < 1e-4, name + ": max rel " + e[0] + ", rel L2 " + e[1]);
            }
        }
    }

    /** Converted to f64 (as for gradient checks) the network gives the f32 outputs up to f32 rounding. */
    @Test
    void runsInFloat64() throws IOException {
        for (String name : CASES) {
            UNet2D m = UNet2DFolder.load(fixture(name).resolve("model"));
            Map<String, Tensor> in = StateDicts.load(fixture(name).resolve("inputs.safetensors"));
            try (var g = GradMode.off()) {
                Tensor f32 = UNet2DDiffusersParity.run(m, in, dev.diffusion4j.engine.Device.CPU);
                m.to(dev.diffusion4j.engine.DType.F64);
                Map<String, Tensor> in64 = new LinkedHashMap<>(in);
                for (String k : List.of("sample", "encoder_hidden_states"))
                    if (in.containsKey(k)) in64.put(k, in.get(k).to(dev.diffusion4j.engine.DType.F64));
                Tensor f64 = UNet2DDiffusersParity.run(m, in64, dev.diffusion4j.engine.Device.CPU);
                assertEquals(dev.diffusion4j.engine.DType.F64, f64.dtype());
                assertTrue(TensorDiff.errors(f32, f64)[1] < 1e-5, name);
            }
        }
    }

    @Test
    void modulesAndHeadsFollowDiffusers() throws IOException {
        UNet2D ddpm = UNet2DFolder.load(fixture("ddpm_attn_tiny").resolve("model"));
        var keys = ddpm.stateDict().keySet();
        for (String k : List.of("conv_in.weight", "time_embedding.linear_1.weight", "time_embedding.linear_2.bias", "class_embedding.weight",
                "down_blocks.0.resnets.0.time_emb_proj.weight", "down_blocks.0.downsamplers.0.conv.weight", "down_blocks.1.attentions.0.group_norm.weight",
                "down_blocks.1.attentions.0.to_out.0.weight", "mid_block.attentions.0.to_q.bias", "mid_block.resnets.1.conv2.weight",
                "up_blocks.0.resnets.1.conv_shortcut.weight", "up_blocks.0.upsamplers.0.conv.weight", "conv_norm_out.weight", "conv_out.bias"))
            assertTrue(keys.contains(k), k);
        // UNet2DModel: attention_head_dim 4 is the width of a head, so 16 channels make 4 heads
        assertEquals(List.of(0, 4), ddpm.layout().down().stream().map(UNet2DLayout.Block::heads).toList());
        UNet2D cond = UNet2DFolder.load(fixture("cond_tiny").resolve("model"));
        // UNet2DConditionModel: attention_head_dim 2 is the number of heads
        CrossAttention a = (CrossAttention) cond.namedModules().get("down_blocks.0.attentions.0.transformer_blocks.0.attn2");
        assertEquals(2, a.heads());
        assertEquals(Attention.CROSS, cond.layout().mid().attention());
        assertTrue(cond.stateDict().containsKey("mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj.weight"));
    }

    /** Saved folders load back to the same outputs, in f32 and the fp16 variant, with the keys diffusers writes. */
    @Test
    void savedFoldersLoadBackAndTheirConfigHasDiffusersKeys() throws IOException {
        for (String name : CASES) {
            UNet2D m = UNet2DFolder.load(fixture(name).resolve("model"));
            Map<String, Tensor> in = StateDicts.load(fixture(name).resolve("inputs.safetensors"));
            UNet2DFolder.save(tmp.resolve(name), m);
            UNet2DFolder.save(tmp.resolve(name + "-fp16"), m, true);
            assertTrue(Files.isRegularFile(tmp.resolve(name + "-fp16").resolve(DiffusersFolder.WEIGHTS_FP16)));
            assertEquals(keys(fixture(name).resolve("model/config.json")), keys(tmp.resolve(name).resolve("config.json")));
            assertEquals(m.config(), UNet2DFolder.readConfig(tmp.resolve(name).resolve("config.json")));
            try (var g = GradMode.off()) {
                Tensor want = UNet2DDiffusersParity.run(m, in, dev.diffusion4j.engine.Device.CPU);
                assertArrayEquals(want.toFloatArray(), UNet2DDiffusersParity.run(UNet2DFolder.load(tmp.resolve(name)), in,
                        dev.diffusion4j.engine.Device.CPU).toFloatArray());
                double[] e = TensorDiff.errors(UNet2DDiffusersParity.run(UNet2DFolder.load(tmp.resolve(name + "-fp16")), in,
                        dev.diffusion4j.engine.Device.CPU), want);
                assertTrue(e[1] < 5e-3, "fp16 variant rel L2 " + e[1]);
            }
        }
        // a list of heads per level is written as a list, one count for every level as a number (as diffusers reads them)
        Object heads = ConfigJson.readObject(tmp.resolve("cond_tiny").resolve("config.json")).get("attention_head_dim");
        assertEquals(2, ((Number) heads).intValue());
    }

    private static TreeSet<String> keys(Path config) { return new TreeSet<>(ConfigJson.readObject(config).keySet()); }

    @Test
    void loadingIsStrictByNameAndShape() throws IOException {
        Path dir = copyFixture("cond_tiny");
        Path w = dir.resolve(DiffusersFolder.WEIGHTS);
        LinkedHashMap<String, Tensor> state = StateDicts.load(w);
        Map<String, Tensor> missing = new LinkedHashMap<>(state);
        missing.remove("down_blocks.0.attentions.0.proj_in.weight");
        StateDicts.save(w, missing, Map.of());
        var e = assertThrows(SafeTensorsException.class, () -> UNet2DFolder.load(dir));
        assertTrue(e.getMessage().contains("missing key 'down_blocks.0.attentions.0.proj_in.weight'"), e.getMessage());
        Map<String, Tensor> extra = new LinkedHashMap<>(state);
        extra.put("down_blocks.0.attentions.0.proj_in.scale", Tensor.zeros(1));
        StateDicts.save(w, extra, Map.of());
        e = assertThrows(SafeTensorsException.class, () -> UNet2DFolder.load(dir));
        assertTrue(e.getMessage().contains("unexpected key 'down_blocks.0.attentions.0.proj_in.scale'"), e.getMessage());
        Map<String, Tensor> reshaped = new LinkedHashMap<>(state);
        reshaped.put("conv_out.bias", Tensor.zeros(3));
        StateDicts.save(w, reshaped, Map.of());
        e = assertThrows(SafeTensorsException.class, () -> UNet2DFolder.load(dir));
        assertTrue(e.getMessage().contains("shape mismatch for 'conv_out.bias'"), e.getMessage());
        Files.delete(w);
        var io = assertThrows(java.nio.file.NoSuchFileException.class, () -> UNet2DFolder.load(dir));
        assertTrue(io.getMessage().contains("U-Net folder"), io.getMessage());
    }

    /** google/ddpm-* files name the attention query, key, value and proj_attn (pre-0.14); they load as diffusers renames them. */
    @Test
    void legacyAttentionNamesLoadAsDiffusersRenamesThem() throws IOException {
        Path dir = copyFixture("ddpm_attn_tiny");
        Path w = dir.resolve(DiffusersFolder.WEIGHTS);
        Map<String, Tensor> old = new LinkedHashMap<>();
        Map<String, String> names = Map.of("to_q", "query", "to_k", "key", "to_v", "value", "to_out.0", "proj_attn");
        for (var e : StateDicts.load(w).entrySet()) {
            String k = e.getKey();
            for (var n : names.entrySet()) k = k.replace(".attentions.0." + n.getKey() + ".", ".attentions.0." + n.getValue() + ".");
            old.put(k, e.getValue());
        }
        assertTrue(old.containsKey("mid_block.attentions.0.proj_attn.weight"));
        StateDicts.save(w, old, Map.of());
        Map<String, Tensor> in = StateDicts.load(fixture("ddpm_attn_tiny").resolve("inputs.safetensors"));
        try (var g = GradMode.off()) {
            assertArrayEquals(UNet2DDiffusersParity.run(UNet2DFolder.load(fixture("ddpm_attn_tiny").resolve("model")), in, dev.diffusion4j.engine.Device.CPU)
                    .toFloatArray(), UNet2DDiffusersParity.run(UNet2DFolder.load(dir), in, dev.diffusion4j.engine.Device.CPU).toFloatArray());
        }
    }

    /**
     * Older hub folders ship diffusion_pytorch_model.bin (a torch.save pickle) with the pre-0.14 attention names: the
     * fixture made from ddpm_attn_tiny by scripts/make_legacy_unet_bin.py loads through the restricted checkpoint reader
     * and computes exactly what the safetensors folder does.
     */
    @Test
    void aTorchPickleFolderWithLegacyNamesLoadsLikeTheSafetensorsOne() throws IOException {
        Map<String, Tensor> in = StateDicts.load(fixture("ddpm_attn_tiny").resolve("inputs.safetensors"));
        try (var g = GradMode.off()) {
            assertArrayEquals(UNet2DDiffusersParity.run(UNet2DFolder.load(fixture("ddpm_attn_tiny").resolve("model")), in, dev.diffusion4j.engine.Device.CPU)
                    .toFloatArray(), UNet2DDiffusersParity.run(UNet2DFolder.load(fixture("ddpm_attn_tiny_bin")), in, dev.diffusion4j.engine.Device.CPU).toFloatArray());
        }
    }

    @Test
    void configRefusalsNameTheKeyAndWhatIsSupported() throws IOException {
        String cond = Files.readString(fixture("cond_tiny").resolve("model/config.json"));
        String ddpm = Files.readString(fixture("ddpm_attn_tiny").resolve("model/config.json"));
        refused(cond.replace("\"act_fn\"", "\"actfn\""), "unknown key 'actfn'");
        refused(cond.replace("\"CrossAttnDownBlock2D\"", "\"SimpleCrossAttnDownBlock2D\""),
                "down_block_types: block type 'SimpleCrossAttnDownBlock2D' is not supported; supported: CrossAttnDownBlock2D, DownBlock2D");
        refused(cond.replace("\"addition_embed_type\": null", "\"addition_embed_type\": \"text_time\""),
                "addition_embed_type \"text_time\" is not supported; supported: null");
        refused(cond.replace("\"num_attention_heads\": null", "\"num_attention_heads\": 2"), "num_attention_heads must be null");
        refused(cond.replace("\"attention_head_dim\": 2", "\"attention_head_dim\": 3"), "attention_head_dim 3 (the number of heads");
        refused(cond.replace("\"UNet2DConditionModel\"", "\"UNet3DConditionModel\""), "supported: UNet2DModel, UNet2DConditionModel");
        refused(ddpm.replace("\"resnet_time_scale_shift\": \"default\"", "\"resnet_time_scale_shift\": \"ada_group\""),
                "resnet_time_scale_shift 'ada_group' is not supported; supported: default, scale_shift");
        refused(ddpm.replace("\"AttnDownBlock2D\"", "\"SkipDownBlock2D\""), "block type 'SkipDownBlock2D' is not supported; supported: DownBlock2D, AttnDownBlock2D");
        refused(ddpm.replace("\"class_embed_type\": null", "\"class_embed_type\": \"timestep\""), "class_embed_type 'timestep' is not supported");
        refused(ddpm.replace("\"attention_head_dim\": 4", "\"attention_head_dim\": 3"), "attention_head_dim 3 (the width of a head");
        refused(ddpm.replace("\"num_class_embeds\": 4", "\"num_class_embeds\": 1, \"_diffusion4j_null_class\": true"),
                "_diffusion4j_null_class true marks the last of num_class_embeds rows as 'no class', so it needs at least 2 (a class and the 'no class' row), got 1");
        refused(ddpm.replace("\"num_class_embeds\": 4", "\"num_class_embeds\": null, \"_diffusion4j_null_class\": true"), "got null");
        refused(ddpm.replace("\"num_class_embeds\": 4", "\"num_class_embeds\": 4, \"_diffusion4j_null_class\": \"yes\""), "_diffusion4j_null_class");
    }

    /**
     * diffuse export marks a class-conditional U-Net's last class row as "no class" (_diffusion4j_null_class, which
     * diffusers ignores): read with it, the config counts one class fewer and says so; written back, the key stays,
     * and a config without it is written without it, as diffusers writes its own.
     */
    @Test
    void theNullClassMarkCountsTheClassesWithoutTheNoClassRow() throws IOException {
        String ddpm = Files.readString(fixture("ddpm_attn_tiny").resolve("model/config.json"));
        Path marked = Files.writeString(tmp.resolve("marked.json"), ddpm.replace("\"num_class_embeds\": 4", "\"num_class_embeds\": 4, \"_diffusion4j_null_class\": true"));
        UNet2DConfig c = UNet2DFolder.readConfig(marked), plain = UNet2DFolder.readConfig(fixture("ddpm_attn_tiny").resolve("model/config.json"));
        assertTrue(c.nullClass());
        assertEquals(3, c.numClasses());
        assertEquals(4, c.layout().numClassEmbeds());
        assertTrue(!plain.nullClass());
        assertEquals(4, plain.numClasses());
        assertEquals(c.parameterCount(), plain.parameterCount());
        assertEquals(6, ((UNet2DConfig) c.withClasses(5)).layout().numClassEmbeds(), "5 classes and the 'no class' row");
        assertTrue(!((UNet2DConfig) c.withClasses(0)).nullClass());
        Path again = tmp.resolve("again.json"), plainAgain = tmp.resolve("plain-again.json");
        UNet2DFolder.writeConfig(again, c);
        UNet2DFolder.writeConfig(plainAgain, plain);
        assertEquals(true, ConfigJson.readObject(again).get("_diffusion4j_null_class"));
        assertEquals(c, UNet2DFolder.readConfig(again));
        assertTrue(!ConfigJson.readObject(plainAgain).containsKey("_diffusion4j_null_class"));
        UNet2D net = new UNet2D(c, new Generator(1));
        var e = assertThrows(IllegalArgumentException.class, () -> net.forward(Tensor.zeros(1, 3, 8, 8), Tensor.ofLongs(new long[] {5}, 1), null));
        assertTrue(e.getMessage().contains("label 3 is its 'no class'"), e.getMessage());
    }

    private void refused(String json, String expected) throws IOException {
        Path f = Files.writeString(tmp.resolve("config.json"), json);
        ConfigException e = assertThrows(ConfigException.class, () -> UNet2DFolder.readConfig(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void forwardRefusesMissingContextAndLabels() throws IOException {
        UNet2D cond = UNet2DFolder.load(fixture("cond_tiny").resolve("model"));
        Tensor x = Tensor.zeros(1, 4, 8, 8), t = Tensor.ofLongs(new long[] {5}, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> cond.forward(x, t, null));
        assertTrue(e.getMessage().contains("give a context [N, L, 6]"), e.getMessage());
        UNet2D ddpm = UNet2DFolder.load(fixture("ddpm_attn_tiny").resolve("model"));
        e = assertThrows(IllegalArgumentException.class, () -> ddpm.forward(Tensor.zeros(1, 3, 8, 8), t, null));
        assertTrue(e.getMessage().contains("class-conditional (num_class_embeds 4)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ddpm.forward(Tensor.zeros(1, 3, 6, 5), t, Tensor.ofLongs(new long[] {1}, 1)));
        assertTrue(e.getMessage().contains("multiples of 2"), e.getMessage());
    }

    private Path copyFixture(String name) throws IOException {
        Path dst = tmp.resolve(name);
        Files.createDirectories(dst);
        for (String f : List.of(DiffusersFolder.CONFIG, DiffusersFolder.WEIGHTS))
            Files.copy(fixture(name).resolve("model").resolve(f), dst.resolve(f));
        return dst;
    }
}
