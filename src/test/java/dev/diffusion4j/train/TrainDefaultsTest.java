package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.models.ModelPresets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Family defaults, and dit-tiny's own: the paper's DiT recipe is for 400k steps, not a CPU demo of a few thousand. */
class TrainDefaultsTest {
    @TempDir Path tmp;

    @Test
    void ditPresetsKeepThePapersRecipeAndUNetsTheirs() {
        TrainDefaults paper = new TrainDefaults(1e-4, "learned-range", "hybrid", "none", "eps");
        for (String name : List.of("dit-fmnist", "dit-s/2", "dit-xl/8")) assertEquals(paper, TrainDefaults.of(name, ModelPresets.get(name)), name);
        assertEquals(new TrainDefaults(1e-3, "fixed-small", "simple", "min-snr", "eps"), TrainDefaults.of("tiny", ModelPresets.get("tiny")));
    }

    @Test
    void ditTinyTrainsWithItsOwnRecipe() {
        assertEquals(new TrainDefaults(4e-3, "fixed-small", "simple", "min-snr", "v"), TrainDefaults.of("dit-tiny", ModelPresets.get("dit-tiny")));
        // the same config under another name gets the family's defaults: it is the preset, not the shape, that decides
        assertEquals(1e-4, TrainDefaults.of("custom", ModelPresets.get("dit-tiny")).lr());
        // diffuse inspect presets states the preset's own step count
        assertTrue(ModelPresets.describe().get("dit-tiny").contains("trains " + TrainDefaults.DIT_TINY_STEPS + " steps by default"));
    }

    @Test
    void aPlainDitTinyRunUsesItsDefaults() {
        Path r = tmp.resolve("r");
        String out = DiTTrainingTest.run(DiTTrainingTest.trainArgs(r, 2));
        assertTrue(out.contains("note: dit-tiny draws the shapes recognisably only after about 4000 steps, its default (docs/dit.md)"), out);
        TrainConfig cfg = RunDir.open(r).config();
        DiTConfig m = (DiTConfig) cfg.model();
        assertEquals(4e-3, cfg.optim().lr());
        assertEquals("v", cfg.diffusion().parameterization());
        assertEquals(4.5, cfg.sample().guidance(), "dit-tiny's own grid guidance");
        assertEquals("fixed-small", cfg.diffusion().variance());
        assertEquals("simple", cfg.diffusion().loss());
        assertEquals("min-snr", cfg.diffusion().weighting());
        assertFalse(m.learnSigma(), "a fixed variance needs no second half of outputs");
        assertEquals(4, m.patchSize());
    }
}
