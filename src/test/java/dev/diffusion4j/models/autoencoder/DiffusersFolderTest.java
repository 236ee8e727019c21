package dev.diffusion4j.models.autoencoder;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.io.SafeTensorsException;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiffusersFolderTest {
    @TempDir Path tmp;

    /** A config.json as diffusers 0.3x writes it for a tiny AutoencoderKL (sorted keys, nulls, bookkeeping keys). */
    static final String DIFFUSERS_KL_CONFIG = """
            {
              "_class_name": "AutoencoderKL",
              "_diffusers_version": "0.32.2",
              "_name_or_path": "/tmp/tiny-vae",
              "act_fn": "silu",
              "block_out_channels": [8, 16],
              "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
              "force_upcast": true,
              "in_channels": 3,
              "latent_channels": 2,
              "latents_mean": null,
              "latents_std": null,
              "layers_per_block": 1,
              "mid_block_add_attention": true,
              "norm_num_groups": 4,
              "out_channels": 3,
              "sample_size": 8,
              "scaling_factor": 0.5,
              "shift_factor": null,
              "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"],
              "use_post_quant_conv": true,
              "use_quant_conv": true
            }
            """;

    @Test
    void readsTheConfigDiffusersWrites() throws IOException {
        Path f = Files.writeString(tmp.resolve("config.json"), DIFFUSERS_KL_CONFIG);
        AutoencoderKLConfig c = DiffusersConfigs.readKL(f);
        assertEquals(AutoencoderKLTest.tinyConfig(), c);
        assertFalse(c.hasShiftFactor());
        // keys a file leaves out take diffusers' defaults; a given shift factor is kept
        Path g = Files.writeString(tmp.resolve("g.json"), "{\"shift_factor\": 0.1159, \"latents_mean\": [0.1, 0.2, 0.3, 0.4], \"latents_std\": [1, 1, 1, 1]}");
        AutoencoderKLConfig d = DiffusersConfigs.readKL(g);
        assertEquals(0.1159, d.shiftFactor());
        assertEquals(List.of(64), d.blockOutChannels());
        assertEquals(0.18215, d.scalingFactor());
        assertEquals(4, d.latentsMean().size());
    }

    @Test
    void configsGoThroughOurOwnJsonBothWays() {
        AutoencoderKLConfig unset = AutoencoderKLTest.tinyConfig();
        AutoencoderKLConfig set = new AutoencoderKLConfig(3, 3, unset.downBlockTypes(), unset.upBlockTypes(), unset.blockOutChannels(), 1,
                "silu", 2, 4, 8, 0.5, 0.25, List.of(0.1, 0.2), List.of(1.0, 2.0), false, true, false, true);
        for (AutoencoderKLConfig c : List.of(unset, set)) {
            String text = Json.writePretty(ConfigJson.toMap(c));
            assertEquals(c, ConfigJson.bind(Json.parseObject(text), AutoencoderKLConfig.class, "test"), text);
        }
        assertFalse(ConfigJson.toMap(unset).containsKey("shift_factor"));   // unset: left out, read back as NaN
        VQModelConfig vq = AutoencoderStepParity.tinyVq().config();
        assertEquals(vq, ConfigJson.bind(Json.parseObject(Json.writePretty(ConfigJson.toMap(vq))), VQModelConfig.class, "test"));
    }

    @Test
    void refusesUnknownKeysOtherClassesAndUnsupportedBlocksNamingThem() throws IOException {
        Path f = Files.writeString(tmp.resolve("config.json"), DIFFUSERS_KL_CONFIG.replace("\"act_fn\"", "\"actfn\""));
        ConfigException e = assertThrows(ConfigException.class, () -> DiffusersConfigs.readKL(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("unknown key 'actfn'"), e.getMessage());
        Files.writeString(f, DIFFUSERS_KL_CONFIG.replace("\"_class_name\": \"AutoencoderKL\"", "\"_class_name\": \"UNet2DModel\""));
        e = assertThrows(ConfigException.class, () -> DiffusersConfigs.readKL(f));
        assertTrue(e.getMessage().contains("UNet2DModel"), e.getMessage());
        Files.writeString(f, DIFFUSERS_KL_CONFIG.replace("\"DownEncoderBlock2D\", \"DownEncoderBlock2D\"", "\"DownEncoderBlock2D\", \"AttnDownEncoderBlock2D\""));
        e = assertThrows(ConfigException.class, () -> DiffusersConfigs.readKL(f));
        assertTrue(e.getMessage().contains("'AttnDownEncoderBlock2D'"), e.getMessage());
        Files.writeString(f, DIFFUSERS_KL_CONFIG.replace("\"shift_factor\": null", "\"shift_factor\": \"abc\""));
        e = assertThrows(ConfigException.class, () -> DiffusersConfigs.readKL(f));
        assertTrue(e.getMessage().contains("shift_factor"), e.getMessage());
    }

    @Test
    void saveAndLoadRoundTripAndTheConfigIsWhatDiffusersWrites() throws IOException {
        AutoencoderKL m = AutoencoderKLTest.tinyConfig().build(new Generator(3));
        Path dir = tmp.resolve("vae");
        DiffusersFolder.save(dir, m);
        Map<String, Object> json = Json.parseObject(Files.readString(dir.resolve("config.json")));
        assertEquals("AutoencoderKL", json.get("_class_name"));
        assertTrue(json.containsKey("shift_factor") && json.get("shift_factor") == null);
        assertEquals(List.copyOf(new java.util.TreeSet<>(json.keySet())), List.copyOf(json.keySet()));   // sorted, as diffusers
        assertEquals(json, Json.parseObject(DIFFUSERS_KL_CONFIG.replace("0.32.2", DiffusersConfigs.DIFFUSERS_VERSION)
                .replace("  \"_name_or_path\": \"/tmp/tiny-vae\",\n", "")));

        AutoencoderKL back = (AutoencoderKL) DiffusersFolder.load(dir);
        assertEquals(m.config(), back.config());
        Tensor x = Tensor.randn(new Generator(4), 1, 3, 8, 8);
        try (var g = GradMode.off()) {
            assertArrayEquals(m.forward(x).toFloatArray(), back.forward(x).toFloatArray());
        }
    }

    @Test
    void theFp16VariantLoadsWhenItIsTheOnlyWeights() throws IOException {
        AutoencoderKL m = AutoencoderKLTest.tinyConfig().build(new Generator(5));
        Path dir = tmp.resolve("fp16");
        DiffusersFolder.save(dir, m, true);
        assertTrue(Files.exists(dir.resolve(DiffusersFolder.WEIGHTS_FP16)) && !Files.exists(dir.resolve(DiffusersFolder.WEIGHTS)));
        AutoencoderKL back = DiffusersFolder.loadKL(dir);
        float[] a = m.stateDict().get("encoder.conv_in.weight").toFloatArray(), b = back.stateDict().get("encoder.conv_in.weight").toFloatArray();
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], Math.abs(a[i]) * 1e-3 + 1e-7);
    }

    @Test
    void strictLoadNamesTheFirstMismatch() throws IOException {
        AutoencoderKL m = AutoencoderKLTest.tinyConfig().build(new Generator(6));
        Path dir = tmp.resolve("bad");
        DiffusersFolder.save(dir, m);
        Path w = dir.resolve(DiffusersFolder.WEIGHTS);
        LinkedHashMap<String, Tensor> state = new LinkedHashMap<>(m.stateDict());

        state.remove("decoder.conv_out.bias");
        StateDicts.save(w, state, Map.of());
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> DiffusersFolder.loadKL(dir));
        assertTrue(e.getMessage().contains("missing key 'decoder.conv_out.bias'"), e.getMessage());

        state = new LinkedHashMap<>(m.stateDict());
        state.put("encoder.mid_block.attentions.0.extra.weight", Tensor.zeros(16, 16));
        StateDicts.save(w, state, Map.of());
        e = assertThrows(SafeTensorsException.class, () -> DiffusersFolder.loadKL(dir));
        assertTrue(e.getMessage().contains("unexpected key 'encoder.mid_block.attentions.0.extra.weight'"), e.getMessage());

        state = new LinkedHashMap<>(m.stateDict());
        state.put("quant_conv.weight", Tensor.zeros(4, 4, 3, 3));
        StateDicts.save(w, state, Map.of());
        e = assertThrows(SafeTensorsException.class, () -> DiffusersFolder.loadKL(dir));
        assertTrue(e.getMessage().contains("'quant_conv.weight'") && e.getMessage().contains("[4, 4, 1, 1]"), e.getMessage());

        Files.delete(w);
        IOException none = assertThrows(IOException.class, () -> DiffusersFolder.loadKL(dir));
        assertTrue(none.getMessage().contains(DiffusersFolder.WEIGHTS), none.getMessage());
    }

    @Test
    void preDiffusers014AttentionNamesAreRenamedAsDiffusersDoes() throws IOException {
        AutoencoderKL m = AutoencoderKLTest.tinyConfig().build(new Generator(9));
        Path dir = tmp.resolve("legacy");
        DiffusersFolder.save(dir, m);
        LinkedHashMap<String, Tensor> old = new LinkedHashMap<>();
        Map<String, String> back = Map.of("to_q", "query", "to_k", "key", "to_v", "value", "to_out.0", "proj_attn");
        m.stateDict().forEach((k, v) -> {
            String renamed = k;
            for (var e : back.entrySet()) renamed = renamed.replace(".attentions.0." + e.getKey() + ".", ".attentions.0." + e.getValue() + ".");
            boolean convWeight = !renamed.equals(k) && k.endsWith("weight") && k.startsWith("decoder");   // some files hold 1x1 convs
            old.put(renamed, convWeight ? v.reshape(v.shape(0), v.shape(1), 1, 1) : v);
        });
        assertTrue(old.containsKey("encoder.mid_block.attentions.0.proj_attn.bias"));
        StateDicts.save(dir.resolve(DiffusersFolder.WEIGHTS), old, Map.of());
        AutoencoderKL loaded = DiffusersFolder.loadKL(dir);
        Tensor x = Tensor.randn(new Generator(10), 1, 3, 8, 8);
        try (var g = GradMode.off()) {
            assertArrayEquals(m.forward(x).toFloatArray(), loaded.forward(x).toFloatArray());
        }
        old.put("encoder.mid_block.attentions.0.to_q.weight", m.stateDict().get("encoder.mid_block.attentions.0.to_q.weight"));
        StateDicts.save(dir.resolve(DiffusersFolder.WEIGHTS), old, Map.of());
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> DiffusersFolder.loadKL(dir));
        assertTrue(e.getMessage().contains("a mix of old and new names"), e.getMessage());
    }

    @Test
    void vqModelRoundTrip() throws IOException {
        VQModel m = AutoencoderStepParity.tinyVq();
        Path dir = tmp.resolve("vq");
        DiffusersFolder.save(dir, m);
        Map<String, Object> json = Json.parseObject(Files.readString(dir.resolve("config.json")));
        assertEquals("VQModel", json.get("_class_name"));
        assertTrue(json.containsKey("vq_embed_dim") && json.get("vq_embed_dim") == null);
        Autoencoder back = DiffusersFolder.load(dir);
        assertInstanceOf(VQModel.class, back);
        assertEquals(m.config(), ((VQModel) back).config());
        Tensor x = Tensor.randn(new Generator(8), 1, 3, 8, 8);
        m.eval();
        back.eval();
        try (var g = GradMode.off()) {
            assertArrayEquals(m.forward(x).toFloatArray(), back.forward(x).toFloatArray());
        }
    }
}
