package dev.diffusion4j.interop.diffusers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.models.UNet2DConfig;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.models.unet2d.UNet2D;
import dev.diffusion4j.models.unet2d.UNet2DFolder;
import dev.diffusion4j.pipelines.PretrainedPipeline;
import dev.diffusion4j.train.Sampling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our U-Net under diffusers' UNet2DModel names: the names and shapes against the ones diffusers itself builds from the
 * same config.json (src/test/resources/diffusers/unet2d_keys.json, written by bench/diffusers_unet_export_check.py
 * --write-keys), the config content, the qkv split, refusals, and the DDPMScheduler config of named and other schedules.
 */
class DiffusersUNet2DTest {
    @TempDir Path tmp;

    @SuppressWarnings("unchecked")
    @Test void namesShapesAndConfigAreDiffusersOwn() throws Exception {
        Map<String, Object> fixture = Json.parseObject(Files.readString(Path.of("src/test/resources/diffusers/unet2d_keys.json")));
        assertEquals(UNetExportFixtures.CASES.length, fixture.size());
        for (UNetExportFixtures.Case c : UNetExportFixtures.CASES) {
            Map<String, Object> want = (Map<String, Object>) fixture.get(c.name());
            assertEquals(want.get("config"), Json.parse(Json.write(DiffusersUNet2D.config(c.config()))), c.name() + " config.json");
            Map<String, List<Integer>> wantKeys = new TreeMap<>();
            ((Map<String, List<Number>>) want.get("keys")).forEach((k, v) -> wantKeys.put(k, v.stream().map(Number::intValue).toList()));
            Map<String, List<Integer>> got = new TreeMap<>();
            DiffusersUNet2D.stateDict(new UNet(c.config(), new Generator(1))).forEach((k, v) -> got.put(k, Arrays.stream(v.shape()).boxed().toList()));
            assertEquals(wantKeys, got, c.name() + " parameter names and shapes");
        }
    }

    /**
     * A class-conditional U-Net written as a DDPMPipeline folder reads back with the run's class count (its extra row is
     * "no class", marked by _diffusion4j_null_class), computes our forward for every label including that row, and
     * samples with classifier-free guidance exactly as our own guided sampler does: the same null row.
     */
    @Test void aClassConditionalExportReadsBackWithItsClassesAndGuidesAgainstItsNullRow() throws Exception {
        UNetExportFixtures.Case c = UNetExportFixtures.CASES[3];
        int classes = c.config().numClasses(), n = 3, r = c.config().resolution();
        assertEquals(5, classes);
        UNet ours = new UNet(c.config(), new Generator(42));
        ours.eval();
        Path dir = tmp.resolve("class-conditional");
        DdpmPipelineFolder.write(dir, ours, c.schedule(), c.zeroSnr(), c.p(), c.v(), true);
        Map<String, Object> written = ConfigJson.readObject(dir.resolve("unet/config.json"));
        assertEquals(classes + 1, ((Number) written.get("num_class_embeds")).intValue());
        assertEquals(true, written.get(UNet2DConfig.NULL_CLASS_KEY));

        PretrainedPipeline p = PretrainedPipeline.load(dir, Device.CPU);
        UNet2DConfig back = (UNet2DConfig) p.model().config();
        assertTrue(back.nullClass());
        assertEquals(classes, back.numClasses());
        assertEquals(classes, p.numClasses());
        assertTrue(p.guidable(), p.whyNotGuidable());
        Tensor x = Tensor.randn(new Generator(7), n, 3, r, r), t = Tensor.ofLongs(new long[] {3, 500, 999}, n);
        Tensor y = Tensor.ofLongs(new long[] {0, classes - 1, classes}, n);   // the last: the "no class" row
        try (var g = GradMode.off()) {
            assertArrayEquals(ours.forward(x, t, y).toFloatArray(), p.model().forward(x, t, y).toFloatArray(), 1e-5f);
        }

        long[] labels = {0, 2, 4};
        Sampler s = p.sampler(4, 0);
        Tensor noise = Tensor.randn(new Generator(9), n, 3, r, r);
        Tensor theirs = p.sampleFrom(s, noise, null, null, labels, 3.0, new Generator(11), null);
        Tensor mine, plain;
        try (var g = GradMode.off()) {
            Conditioning cond = Conditioning.of(NetworkDenoiser.LABEL, Tensor.ofLongs(labels, n));
            mine = s.sample(Sampling.guided(new NetworkDenoiser(ours), c.config(), 3.0), noise, cond, new Generator(11), StepCallback.none()).clamp(-1, 1);
            plain = s.sample(new NetworkDenoiser(ours), noise, cond, new Generator(11), StepCallback.none()).clamp(-1, 1);
        }
        assertArrayEquals(mine.toFloatArray(), theirs.toFloatArray(), 1e-4f);
        assertTrue(maxAbsDiff(plain, theirs) > 1e-2, "guidance 3 changed nothing: the comparison would not see a wrong null row");

        // label `classes` is the "no class" row (sample --pretrained --class none); one past it is refused
        Tensor none = p.sampleFrom(s, noise.slice(0, 0, 1), null, null, new long[] {classes}, 1.0, new Generator(1), null);
        Tensor noneOurs;
        try (var g = GradMode.off()) {
            noneOurs = s.sample(new NetworkDenoiser(ours), noise.slice(0, 0, 1), Conditioning.of(NetworkDenoiser.LABEL, Tensor.ofLongs(new long[] {classes}, 1)),
                    new Generator(1), StepCallback.none()).clamp(-1, 1);
        }
        assertArrayEquals(noneOurs.toFloatArray(), none.toFloatArray(), 1e-4f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.sampleFrom(s, noise, null, null, new long[] {0, 1, classes + 1}, 1.0, new Generator(1), null));
        assertTrue(e.getMessage().contains("class labels must be in [0, " + classes + "], got " + (classes + 1)), e.getMessage());

        // saved again from the loaded network (UNet2DFolder.save), the mark stays; without it the row is a class like the others
        UNet2DFolder.save(tmp.resolve("again"), (UNet2D) p.model());
        assertEquals(true, ConfigJson.readObject(tmp.resolve("again/config.json")).get(UNet2DConfig.NULL_CLASS_KEY));
        Map<String, Object> unmarked = new LinkedHashMap<>(written);
        unmarked.remove(UNet2DConfig.NULL_CLASS_KEY);
        Path plainConfig = tmp.resolve("unmarked.json");
        Files.writeString(plainConfig, Json.write(unmarked));
        UNet2DConfig foreign = UNet2DFolder.readConfig(plainConfig);
        assertEquals(classes + 1, foreign.numClasses());
        assertTrue(!foreign.nullClass());
    }

    private static double maxAbsDiff(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

    @Test void qkvSplitsIntoQueryKeyValueRowsAndConvWeightsBecomeLinear() {
        UNetConfig c = UNetExportFixtures.CASES[0].config();
        UNet m = new UNet(c, new Generator(3));
        Map<String, Tensor> ours = m.stateDict(), theirs = DiffusersUNet2D.stateDict(m);
        double[] qkv = ours.get("mid.1.qkv.weight").toDoubleArray();   // [3C, C, 1, 1]
        int ch = 32;
        double[] k = theirs.get("mid_block.attentions.0.to_k.weight").toDoubleArray();
        assertArrayEquals(Arrays.copyOfRange(qkv, ch * ch, 2 * ch * ch), k, 0.0);
        assertArrayEquals(Arrays.copyOfRange(ours.get("mid.1.qkv.bias").toDoubleArray(), 2 * ch, 3 * ch),
                theirs.get("mid_block.attentions.0.to_v.bias").toDoubleArray(), 0.0);
        assertArrayEquals(ours.get("mid.2.c2.weight").toDoubleArray(), theirs.get("mid_block.resnets.1.conv2.weight").toDoubleArray(), 0.0);
        assertArrayEquals(new int[] {ch, ch}, theirs.get("mid_block.attentions.0.to_out.0.weight").shape());
        assertArrayEquals(ours.get("up.3.0.skip.weight").toDoubleArray(), theirs.get("up_blocks.1.resnets.0.conv_shortcut.weight").toDoubleArray(), 0.0);
    }

    @Test void refusesWhatUNet2DModelCannotExpress() {
        UNetConfig base = UNetExportFixtures.CASES[0].config();
        Object[][] bad = {
                {base.withContextDim(16), "self-attention block before its spatial transformer"},
                {base.withLowResChannels(3), "super-resolution"},
                {new UNetConfig(3, 16, new int[] {1, 2}, 1, new int[] {4}, 8, 0, 0, 1, false, false, false, false, 0, 4), "average pooling"},
                {new UNetConfig(3, 16, new int[] {2, 2}, 1, new int[] {4}, 8, 0, 0, 1, false, false, true, false, 0, 4), "first level widens"},
                {new UNetConfig(3, 16, new int[] {1, 2}, 1, new int[] {8}, 8, 0, 0, 2, false, false, true, false, 0, 4), "heads of 8 and 16 channels"}};
        for (Object[] b : bad) {
            String why = DiffusersUNet2D.unsupported((UNetConfig) b[0]);
            assertTrue(why != null && why.contains((String) b[1]), b[1] + " not in " + why);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DiffusersUNet2D.config((UNetConfig) b[0]));
            String cls = ((UNetConfig) b[0]).contextDim() > 0 ? "UNet2DConditionModel" : "UNet2DModel";
            assertTrue(e.getMessage().startsWith("this U-Net cannot be written as a diffusers " + cls + ": "), e.getMessage());
        }
        assertNull(DiffusersUNet2D.unsupported(base));
    }

    @Test void schedulerConfigNamesTheScheduleWhenOneMatchesElseListsTheBetas() {
        Map<String, Object> lin = DdpmPipelineFolder.schedulerConfig(NoiseSchedule.linear(1000), false, Parameterization.EPS, VarianceType.FIXED_SMALL, true);
        assertEquals("linear", lin.get("beta_schedule"));
        assertEquals(0.0001, (double) lin.get("beta_start"), 1e-15);
        Map<String, Object> lin500 = DdpmPipelineFolder.schedulerConfig(NoiseSchedule.linear(500), false, Parameterization.V, VarianceType.LEARNED_RANGE, false);
        assertEquals(0.04, (double) lin500.get("beta_end"), 1e-15);   // our 1000/T scaling written out
        assertEquals("v_prediction", lin500.get("prediction_type"));
        assertEquals("learned_range", lin500.get("variance_type"));
        assertEquals("squaredcos_cap_v2", DdpmPipelineFolder.schedulerConfig(NoiseSchedule.cosine(1000), false, Parameterization.EPS, VarianceType.FIXED_SMALL, true).get("beta_schedule"));
        Map<String, Object> zsnr = DdpmPipelineFolder.schedulerConfig(NoiseSchedule.linear(1000).rescaledToZeroTerminalSnr(), true, Parameterization.V, VarianceType.FIXED_SMALL, true);
        assertEquals(true, zsnr.get("rescale_betas_zero_snr"));
        assertEquals("linear", zsnr.get("beta_schedule"));
        Map<String, Object> sig = DdpmPipelineFolder.schedulerConfig(NoiseSchedule.sigmoid(100), false, Parameterization.X0, VarianceType.FIXED_LARGE, true);
        @SuppressWarnings("unchecked") List<Double> betas = (List<Double>) sig.get("trained_betas");
        assertEquals(100, betas.size());
        assertEquals(NoiseSchedule.sigmoid(100).beta(37), betas.get(37), 0.0);
        // every one reads back (our own reader) to the same schedule
        for (Map<String, Object> m : List.of(lin, lin500, zsnr, sig)) {
            SchedulerConfig back = SchedulerConfig.fromMap(m, "written");
            assertEquals(SchedulerConfig.DDPM, back.className());
        }
        assertArrayEquals(NoiseSchedule.sigmoid(100).betas(), SchedulerConfig.fromMap(sig, "written").schedule().betas(), 0.0);
        assertArrayEquals(NoiseSchedule.linear(500).betas(), SchedulerConfig.fromMap(lin500, "written").schedule().betas(), 1e-15);
    }

    @Test void modelIndexRoundTripsComponentsAbsentOnesAndOptions() throws Exception {
        Path f = tmp.resolve("model_index.json");
        Files.writeString(f, """
                {"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.6.0", "feature_extractor": ["transformers", "CLIPImageProcessor"],
                 "requires_safety_checker": true, "safety_checker": [null, null], "scheduler": ["diffusers", "PNDMScheduler"],
                 "text_encoder": ["transformers", "CLIPTextModel"], "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]}""");
        ModelIndex m = ModelIndex.read(f);
        assertEquals("StableDiffusionPipeline", m.className());
        assertEquals("0.6.0", m.diffusersVersion());
        assertEquals(new ModelIndex.Component("diffusers", "PNDMScheduler"), m.component("scheduler"));
        assertTrue(!m.components().get("safety_checker").present());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.component("safety_checker"));
        assertTrue(e.getMessage().contains("has no safety_checker component; it has: feature_extractor"), e.getMessage());
        assertEquals(Map.of("requires_safety_checker", true), m.options());
        Path g = tmp.resolve("again.json");
        m.write(g);
        assertEquals(m, ModelIndex.read(g));
        Map<String, Object> raw = ConfigJson.readObject(g);
        assertEquals(Arrays.asList(null, null), raw.get("safety_checker"));
        ModelIndex ddpm = ModelIndex.of("DDPMPipeline", new LinkedHashMap<>(Map.of("unet", new ModelIndex.Component("diffusers", "UNet2DModel"))));
        ddpm.write(g);
        assertEquals(ModelIndex.DIFFUSERS_VERSION, ModelIndex.read(g).diffusersVersion());
    }
}
