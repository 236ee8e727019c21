package dev.diffusion4j.models.dit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.DiT;
import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.models.TensorDiff;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleGradCheck;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.train.SampleConfig;
import dev.diffusion4j.train.Sampling;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * diffusers DiT folders in and out. The fixture (src/test/resources/diffusers-dit, made on the CPU by
 * {@code bench/diffusers_dit_parity.py make --out DIR}) holds three small diffusers models with every parameter drawn
 * (DiTTransformer2DModel with learned sigma and patch 2; patch 4 with exact GELU, no q/k/v bias and out_channels =
 * in_channels; the older Transformer2DModel with interpolation_scale 2), inputs, and diffusers' f32 outputs.
 */
class DiffusersDiTTest {
    @TempDir Path tmp;
    static final DiTConfig LS_P2 = new DiTConfig(4, 8, 2, 16, 2, 2, 4.0, 5, true);

    static Path fixture() throws URISyntaxException { return Path.of(DiffusersDiTTest.class.getResource("/diffusers-dit").toURI()); }

    @Test void foldersDiffusersSavedComputeWhatDiffusersComputes() throws Exception {
        DiffusersDiTParity p = new DiffusersDiTParity();
        p.load(fixture(), Device.CPU);
        assertEquals(3, p.lines.size(), p.lines.toString());
        assertFalse(p.failed, String.join("\n", p.lines));
        // far tighter than the GPU bounds: on the CPU the two agree to f32 rounding
        for (String line : p.lines) assertTrue(Double.parseDouble(line.replaceAll(".*rel L2 ", "")) < 5e-6, line);
    }

    @Test void theLoadedModelHasDiffusersShapeAndNames() throws Exception {
        DiffusersDiTFolder.Loaded ls = DiffusersDiTFolder.load(fixture().resolve("ls_p2/model"));
        assertEquals(LS_P2, ls.model().config());
        DiffusersDiTFolder.Loaded legacy = DiffusersDiTFolder.load(fixture().resolve("legacy/model"));
        assertEquals(3, legacy.model().config().numClasses());
        assertEquals(2.0, legacy.config().positionScale(true), "Transformer2DModel's interpolation_scale divides the positions");
        assertEquals(1.0, ls.config().positionScale(false));
        DiTConfig p4 = DiffusersDiTFolder.load(fixture().resolve("p4/model")).model().config();
        assertFalse(p4.learnSigma());
        assertEquals(4, p4.patchSize());
        assertTrue(ls.model().stateDict().containsKey("transformer_blocks.1.norm1.emb.class_embedder.embedding_table.weight"));
        assertFalse(ls.model().stateDict().keySet().stream().anyMatch(k -> k.contains("positions")), "the position table is not saved");
        assertTrue(DiffusersDiTFolder.isDiTFolder(fixture().resolve("legacy/model")));
        assertFalse(DiffusersDiTFolder.isDiTFolder(fixture()));
    }

    /** What diffuse sample --pretrained will do with a loaded folder: guided DDIM through the library's samplers. */
    @Test void aLoadedFolderSamplesWithGuidanceThroughTheLibrary() throws Exception {
        DiffusersDiT m = DiffusersDiTFolder.load(fixture().resolve("ls_p2/model")).model();
        var denoiser = Sampling.guided(new NetworkDenoiser(m), m.config(), 3.0);
        SampleConfig sc = new SampleConfig("ddim", 3, 0, 2, 7);
        Tensor x = Sampling.sample(denoiser, new GaussianDiffusion(NoiseSchedule.linear(1000), Parameterization.EPS, VarianceType.LEARNED_RANGE),
                sc, m.config(), Device.CPU, 2, Sampling.labels(new long[] {0, 4}, Device.CPU), null);
        assertArrayEquals(new int[] {2, 4, 8, 8}, x.shape());
        for (double v : x.toDoubleArray()) assertTrue(Double.isFinite(v) && Math.abs(v) <= 1);
    }

    /** The transformer/config.json that facebook/DiT-XL-2-256 ships (diffusers 0.12 wrote it) binds to DiT-XL/2's shape. */
    @Test void theReleasedXl2ConfigBindsToDiTXl2() throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, """
                {"_class_name": "Transformer2DModel", "_diffusers_version": "0.12.0.dev0", "activation_fn": "gelu-approximate",
                 "attention_bias": true, "attention_head_dim": 72, "cross_attention_dim": null, "dropout": 0.0, "in_channels": 4,
                 "norm_elementwise_affine": false, "norm_num_groups": 32, "norm_type": "ada_norm_zero", "num_attention_heads": 16,
                 "num_embeds_ada_norm": 1000, "num_layers": 28, "num_vector_embeds": null, "only_cross_attention": false,
                 "out_channels": 8, "patch_size": 2, "sample_size": 32, "upcast_attention": false, "use_linear_projection": false}
                """);
        DiffusersDiTConfig c = DiffusersDiTConfig.read(f).checkSupported();
        assertEquals(new DiTConfig(4, 32, 2, 1152, 28, 16, 4.0, 1000, true), c.toDiTConfig());
        assertEquals(1.0, c.positionScale(true), "max(32 / 64, 1)");
        assertEquals(1e-5, c.normEps());
    }

    /** At t = 0 every sinusoidal feature is cos 0 or sin 0 whatever the frequencies, so there the export must equal the DiT. */
    @Test void theExportComputesTheDiTExceptForTheTimestepFrequencies() throws IOException {
        for (boolean columnFirst : new boolean[] {false, true}) {
            DiT dit = DiffusersDiTParity.drawn(LS_P2, columnFirst, 3);
            DiffusersDiT exported = DiffusersDiTFolder.export(dit, tmp.resolve("e" + columnFirst), false);
            Map<String, Tensor> in = DiffusersDiTParity.inputs(LS_P2, 4);
            Tensor x = in.get("x"), y = in.get("y");
            Tensor t0 = Tensor.ofLongs(new long[] {0, 0, 0}, 3), t = Tensor.ofLongs(new long[] {1, 400, 999}, 3);
            double[] atZero = TensorDiff.errors(exported.forward(x, t0, y), dit.forward(x, t0, y));
            assertTrue(atZero[0] < 1e-5, "t = 0, column first " + columnFirst + ": " + atZero[0]);
            double[] later = TensorDiff.errors(exported.forward(x, t, y), dit.forward(x, t, y));
            assertTrue(later[1] > 1e-3, "the frequency shift shows at t > 0: " + later[1]);
            // the folder loads back into the same model
            DiffusersDiT back = DiffusersDiTFolder.load(tmp.resolve("e" + columnFirst)).model();
            assertArrayEquals(exported.forward(x, t, y).toFloatArray(), back.forward(x, t, y).toFloatArray());
        }
    }

    @Test void aFreshDiTsRowFirstTableIsTheReleasedTableWithItsHalvesSwapped() {
        int d = 16, g = 3;
        double[] row = PositionTable.sinCos2d(d, g), col = PositionTable.sinCos2d(d, g, true, 1);
        for (int tok = 0; tok < g * g; tok++)
            for (int c = 0; c < d; c++) assertEquals(col[tok * d + (c + d / 2) % d], row[tok * d + c], 0.0);
        // diffusers' table for a 3x3 grid, token 1 (row 0, column 1): the column's sin(1) leads
        assertEquals(Math.sin(1), col[d], 1e-15);
        assertEquals(0, col[d + d / 2], 1e-15);
    }

    @Test void anFp16ExportLoadsAsTheFp16Variant() throws IOException {
        DiT dit = DiffusersDiTParity.drawn(LS_P2, false, 5);
        DiffusersDiT exported = DiffusersDiTFolder.export(dit, tmp.resolve("h"), true);
        assertTrue(Files.isRegularFile(tmp.resolve("h").resolve(DiffusersFolder.WEIGHTS_FP16)));
        Map<String, Tensor> in = DiffusersDiTParity.inputs(LS_P2, 6);
        Tensor out = DiffusersDiTFolder.load(tmp.resolve("h")).model().forward(in.get("x"), in.get("t"), in.get("y"));
        assertArrayEquals(exported.forward(in.get("x"), in.get("t"), in.get("y")).toFloatArray(), out.toFloatArray());
    }

    @Test void unconditionalAndTextDiTsHaveNoDiffusersForm() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DiffusersDiTConfig.of(LS_P2.withClasses(0))).getMessage().contains("unconditional"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DiffusersDiTConfig.of(LS_P2.withContextDim(8))).getMessage().contains("text"));
    }

    @Test void aMissingUnexpectedOrMisshapenWeightIsNamed() throws Exception {
        Path src = fixture().resolve("ls_p2/model");
        Map<String, Tensor> state = StateDicts.load(src.resolve(DiffusersFolder.WEIGHTS));
        String key = "transformer_blocks.1.attn1.to_k.bias";

        Map<String, Tensor> missing = new LinkedHashMap<>(state);
        missing.remove(key);
        assertTrue(loadFails(src, missing).contains(key));

        Map<String, Tensor> extra = new LinkedHashMap<>(state);
        extra.put("transformer_blocks.0.norm2.weight", Tensor.zeros(16));
        assertTrue(loadFails(src, extra).contains("transformer_blocks.0.norm2.weight"));

        Map<String, Tensor> shape = new LinkedHashMap<>(state);
        shape.put(key, Tensor.zeros(15));
        assertTrue(loadFails(src, shape).contains(key));
    }

    private String loadFails(Path src, Map<String, Tensor> state) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "w");
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        StateDicts.save(dir.resolve(DiffusersFolder.WEIGHTS), state, Map.of());
        return assertThrows(Exception.class, () -> DiffusersDiTFolder.load(dir)).getMessage();
    }

    @Test void unsupportedOptionsAreRefusedTogetherAndUnknownKeysByName() throws Exception {
        Map<String, Object> cfg = ConfigJson.readObject(fixture().resolve("legacy/model/config.json"));
        cfg.put("norm_type", "layer_norm");
        cfg.put("cross_attention_dim", 32);
        cfg.put("activation_fn", "geglu");
        String m = assertThrows(IllegalArgumentException.class, () -> DiffusersDiTFolder.load(folder(cfg))).getMessage();
        assertTrue(m.contains("norm_type layer_norm") && m.contains("cross_attention_dim 32") && m.contains("activation_fn geglu") && m.contains("supported:"), m);

        Map<String, Object> typo = ConfigJson.readObject(fixture().resolve("ls_p2/model/config.json"));
        typo.put("num_layer", 2);
        assertTrue(assertThrows(ConfigException.class, () -> DiffusersDiTFolder.load(folder(typo))).getMessage().contains("unknown key 'num_layer'"));

        Map<String, Object> legacyKey = ConfigJson.readObject(fixture().resolve("ls_p2/model/config.json"));
        legacyKey.put("cross_attention_dim", null);
        assertTrue(assertThrows(ConfigException.class, () -> DiffusersDiTFolder.load(folder(legacyKey))).getMessage().contains("cross_attention_dim"));

        Map<String, Object> other = ConfigJson.readObject(fixture().resolve("ls_p2/model/config.json"));
        other.put("_class_name", "UNet2DModel");
        assertTrue(assertThrows(ConfigException.class, () -> DiffusersDiTFolder.load(folder(other))).getMessage().contains("not a diffusers DiT"));

        assertTrue(assertThrows(IOException.class, () -> DiffusersDiTFolder.load(tmp.resolve("none"))).getMessage().contains("DiT folder"));
    }

    private Path folder(Map<String, Object> config) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "c");
        Files.writeString(dir.resolve("config.json"), Json.writePretty(config));
        Files.copy(fixture().resolve("ls_p2/model").resolve(DiffusersFolder.WEIGHTS), dir.resolve(DiffusersFolder.WEIGHTS));
        return dir;
    }

    @Test void gradientsMatchFiniteDifferences() {
        // tiny (D 4, one block), every weight drawn so that gradients reach every part
        DiffusersDiT m = new DiffusersDiT(DiffusersDiTConfig.of(new DiTConfig(2, 4, 2, 4, 1, 1, 4.0, 2, true)), false, new Generator(0));
        Generator g = new Generator(1);
        for (var p : m.parameters()) p.copyFrom(Tensor.randn(g, p.shape()).mul(0.5));
        m.to(DType.F64);
        Tensor t = Tensor.ofLongs(new long[] {17, 640}, 2), labels = Tensor.ofLongs(new long[] {1, 2}, 2);
        Module wrapped = new Module() {
            { registerModule("dit", m); }
            @Override public Tensor forward(Tensor x) { return m.forward(x, t, labels); }
        };
        ModuleGradCheck.check("DiffusersDiT", wrapped, Tensor.randn(new Generator(2), DType.F64, Device.CPU, 2, 2, 4, 4));
        Precision.FP32.applyMathMode();
    }
}
