package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backend;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
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
        covered.addAll(Set.of("capture", "capturesGraphs"));   // no CPU counterpart: CudaGraphTest compares replays with eager calls
        covered.add("fusesActivationGradient");   // a query: CudaFusedBiasTest runs the models' two op forms it chooses between
        for (ParityCases.Case k : ParityCases.cases()) covered.addAll(k.methods());
        Set<String> missing = new TreeSet<>();
        for (Method m : backendMethods()) {
            if (Modifier.isStatic(m.getModifiers())) continue;
            if (!covered.contains(m.getName())) missing.add(m.getName());
        }
        assertTrue(missing.isEmpty(), "Backend methods with no CPU-vs-CUDA parity case: " + missing + " (add cases to ParityCases)");
    }

    /** Backend's methods and those of the native channels-last kernels CUDA adds. */
    private static java.util.List<Method> backendMethods() {
        java.util.List<Method> all = new java.util.ArrayList<>(java.util.List.of(Backend.class.getMethods()));
        all.addAll(java.util.List.of(dev.diffusion4j.engine.ChannelsLastKernels.class.getMethods()));
        return all;
    }

    /** The table itself is valid: each case runs forward and backward on the CPU, in f32 and from bf16-rounded inputs. */
    @Test
    void everyCaseRunsOnTheCpu() {
        for (ParityCases.Case k : ParityCases.cases()) {
            for (boolean rounded : new boolean[] {false, true}) {
                if (rounded && !k.bf16()) continue;
                Tensor[] in = new Tensor[k.inputs().length];
                for (int i = 0; i < in.length; i++) {
                    Tensor t = rounded ? k.inputs()[i].to(DType.BF16).to(DType.F32) : k.inputs()[i];
                    in[i] = k.grad() ? t.detach().requiresGrad(true) : t.detach();
                }
                Tensor y = k.f().apply(in);
                assertTrue(y.numel() > 0, k.name());
                if (k.grad()) {
                    y.sum().backward();
                    for (Tensor t : in) assertTrue(t.grad() != null, k.name() + ": an input gets no gradient");
                }
            }
        }
    }

    @Test
    void casesNameOnlyBackendMethods() {
        Set<String> methods = new TreeSet<>();
        for (Method m : backendMethods()) methods.add(m.getName());
        for (ParityCases.Case k : ParityCases.cases())
            for (String name : k.methods()) assertTrue(methods.contains(name), k.name() + " names '" + name + "', which is not a Backend method");
    }
}
