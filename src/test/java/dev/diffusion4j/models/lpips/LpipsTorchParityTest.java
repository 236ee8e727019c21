package dev.diffusion4j.models.lpips;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.diffusion4j.engine.Device;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PyTorch's own LPIPS numbers on the CPU: src/test/resources/lpips holds a narrow VGG16 (widths 4) and lin weights
 * written by torch.save (zip and legacy formats) and the distances and input gradient PyTorch computed
 * (bench/lpips_parity.py; the command is in its docstring). Loading those real pickles and matching their numbers tests
 * the reader, the names and the math at once.
 */
class LpipsTorchParityTest {
    static Path fixture() throws URISyntaxException {
        return Path.of(LpipsTorchParityTest.class.getResource("/lpips/reference.safetensors").toURI()).getParent();
    }

    @Test
    void matchesPyTorchOnItsOwnSavedWeights() throws IOException, URISyntaxException {
        LpipsTorchParity p = new LpipsTorchParity();
        p.run(fixture(), List.of(4, 4, 4, 4, 4), Device.CPU);
        System.out.println(String.join("\n", p.lines));
        assertFalse(p.failed, String.join("\n", p.lines));
        org.junit.jupiter.api.Assertions.assertEquals(4, p.lines.size(), "f64 and f32, distance and gradient: " + p.lines);
    }
}
