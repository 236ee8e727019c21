package dev.diffusion4j.models.autoencoder;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.cli.InspectCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AutoencoderInspectTest {
    static String inspect(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new InspectCommand());
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute(args), out.toString());
        return out.toString();
    }

    @Test
    void inspectPrintsAnAutoencoderPresetsTreeAndCount() {
        String s = inspect("model", "--preset", "kl-f4-tiny");
        assertTrue(s.contains("(mid_block): UNetMidBlock2D("), s);
        assertTrue(s.contains("params=" + AutoencoderPresets.get("kl-f4-tiny").parameterCount()), s);
    }

    @Test
    void presetsListsTheAutoencoders() {
        String s = inspect("presets");
        assertTrue(s.contains("sd-vae") && s.contains("83,653,863 parameters") && s.contains("kl-f4-tiny"), s);
    }
}
