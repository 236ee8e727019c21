package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backend;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Runs without a GPU: every Backend method must be exercised by some CPU-vs-CUDA parity case. */
class ParityCoverageTest {
    @Test
    void everyBackendMethodHasAParityCase() {
        Set<String> covered = new TreeSet<>(ParityCases.DIRECT);
        for (ParityCases.Case k : ParityCases.cases()) covered.addAll(k.methods());
        Set<String> missing = new TreeSet<>();
        for (Method m : Backend.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) continue;
            if (!covered.contains(m.getName())) missing.add(m.getName());
        }
        assertTrue(missing.isEmpty(), "Backend methods with no CPU-vs-CUDA parity case: " + missing + " (add cases to ParityCases)");
    }

    @Test
    void casesNameOnlyBackendMethods() {
        Set<String> methods = new TreeSet<>();
        for (Method m : Backend.class.getMethods()) methods.add(m.getName());
        for (ParityCases.Case k : ParityCases.cases())
            for (String name : k.methods()) assertTrue(methods.contains(name), k.name() + " names '" + name + "', which is not a Backend method");
    }
}
