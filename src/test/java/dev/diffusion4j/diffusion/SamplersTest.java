package dev.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Samplers are built one way: {@link Samplers#create} by name, everywhere but the two places a name cannot express. */
class SamplersTest {
    private static final GaussianDiffusion D = new GaussianDiffusion(NoiseSchedule.cosine(40), Parameterization.EPS, VarianceType.FIXED_SMALL);

    @Test void eachNameBuildsItsSamplerWithTheStepsAsked() {
        assertInstanceOf(DdpmSampler.class, Samplers.create("ddpm", D, 40, 0, true));
        assertEquals(40, Samplers.create("ddpm", D, 40, 0, true).steps(), "all T steps: no respacing");
        assertEquals(8, Samplers.create("ddpm", D, 8, 0, true).steps());
        assertInstanceOf(DdimSampler.class, Samplers.create("DDIM", D, 10, 0.5, false));
        assertEquals(10, Samplers.create("ddim", D, 10, 0, true).steps());
        assertEquals(40, Samplers.create("ddim", D, 500, 0, true).steps(), "ddim never takes more steps than T");
        for (String k : List.of("euler", "euler-a", "heun", "dpm++2m")) {
            assertInstanceOf(KarrasSampler.class, Samplers.create(k, D, 6, 0, true), k);
            assertEquals(6, Samplers.create(k, D, 6, 0, true).steps(), k);
        }
        for (String k : Samplers.NAMES.split(", ")) assertNull(Samplers.check(k), k);
    }

    @Test void unknownNamesAndStepCountsAreRefusedWithTheChoices() {
        var e = assertThrows(IllegalArgumentException.class, () -> Samplers.create("plms", D, 10, 0, true));
        assertEquals("unknown sampler 'plms': use ddpm, ddim, euler, euler-a, heun, dpm++2m", e.getMessage());
        assertEquals(e.getMessage(), Samplers.check("plms"));
        assertThrows(IllegalArgumentException.class, () -> Samplers.create("ddim", D, 0, 0, true));
    }

    /** Outside the diffusion package only the factory, diffusers' timestep lists and DDIM inversion call a sampler's constructor. */
    @Test void noOtherCodeConstructsASamplerItself() throws IOException {
        Path main = Path.of("src/main/java/dev/diffusion4j");
        List<Path> allowed = List.of(main.resolve("interop/diffusers/SchedulerConfig.java"), main.resolve("pipelines/DdimInversion.java"));
        Pattern ctor = Pattern.compile("new (Ddpm|Ddim|Karras|TimestepListDdim|SigmaList|Pndm)Sampler\\(");
        List<String> found;
        try (Stream<Path> files = Files.walk(main)) {
            found = files.filter(p -> p.toString().endsWith(".java") && !p.startsWith(main.resolve("diffusion")) && !allowed.contains(p))
                    .flatMap(p -> {
                        try {
                            return Files.readAllLines(p).stream().filter(l -> ctor.matcher(l).find()).map(l -> p + ": " + l.strip());
                        } catch (IOException x) {
                            throw new java.io.UncheckedIOException(x);
                        }
                    }).toList();
        }
        assertTrue(found.isEmpty(), "build samplers with Samplers.create (or SampleConfig.create):\n" + String.join("\n", found));
    }
}
