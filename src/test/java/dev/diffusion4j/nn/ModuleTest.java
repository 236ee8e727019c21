package dev.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModuleTest {
    @Test
    void parametersAreNamedAndOrderedLikePyTorch() {
        TestNets.Net net = new TestNets.Net(1);
        assertEquals(List.of("gain",
                "down.0.conv1.weight", "down.0.conv1.bias", "down.0.conv2.weight",
                "down.1.conv1.weight", "down.1.conv1.bias", "down.1.conv2.weight",
                "head.0.weight", "head.0.bias"), List.copyOf(net.namedParameters().keySet()));
        assertEquals(4 + 2 * (4 * 8 + 8 + 8 * 4) + (4 * 2 + 2), net.numParameters());
        assertEquals(9, net.parameters().size());
        assertArrayEquals(new int[] {8, 4}, net.namedParameters().get("down.1.conv1.weight").shape());
        assertEquals(List.of("down.0.scale", "down.0.cache", "down.1.scale", "down.1.cache"), List.copyOf(net.namedBuffers().keySet()));
        assertEquals(List.of("", "down", "down.0", "down.0.conv1", "down.0.act", "down.0.conv2", "down.1", "down.1.conv1",
                "down.1.act", "down.1.conv2", "head", "head.0", "head.1"), List.copyOf(net.namedModules().keySet()));
    }

    @Test
    void stateDictHoldsParamsThenPersistentBuffersPerModule() {
        TestNets.Net net = new TestNets.Net(1);
        assertEquals(List.of("gain",
                "down.0.scale", "down.0.conv1.weight", "down.0.conv1.bias", "down.0.conv2.weight",
                "down.1.scale", "down.1.conv1.weight", "down.1.conv1.bias", "down.1.conv2.weight",
                "head.0.weight", "head.0.bias"), List.copyOf(net.stateDict().keySet()));
        assertFalse(net.stateDict().get("gain").requiresGrad());
    }

    @Test
    void trainAndEvalReachEveryDescendant() {
        TestNets.Net net = new TestNets.Net(1);
        assertTrue(net.isTraining());
        net.eval();
        for (Module m : net.namedModules().values()) assertFalse(m.isTraining(), m.typeName());
        Tensor x = Tensor.randn(new Generator(5), 3, 4);
        assertArrayEquals(net.forward(x).toFloatArray(), net.forward(x).toFloatArray(), "eval is deterministic");
        net.train();
        for (Module m : net.namedModules().values()) assertTrue(m.isTraining(), m.typeName());
        // a module added to an eval-mode parent takes the parent's mode
        Sequential s = new Sequential();
        s.eval();
        SiLU a = new SiLU();
        s.add(a);
        assertFalse(a.isTraining());
    }

    @Test
    void sharedParametersAreListedOnceButSavedUnderEachName() {
        Linear lin = new Linear(3, 3, new Generator(0));
        Module tied = new Module() {
            { registerModule("a", lin); registerParameter("w", lin.weight()); }
        };
        assertEquals(List.of("w", "a.weight", "a.bias"), List.copyOf(tied.stateDict().keySet()));
        assertEquals(List.of("w", "a.bias"), List.copyOf(tied.namedParameters().keySet()));
        assertEquals(12, tied.numParameters());
    }

    @Test
    void registrationRejectsBadOrDuplicateNames() {
        assertThrows(IllegalArgumentException.class, () -> new Module() { { registerParameter("a.b", Tensor.zeros(1)); } });
        assertThrows(IllegalArgumentException.class, () -> new Module() { { registerParameter("", Tensor.zeros(1)); } });
        var e = assertThrows(IllegalArgumentException.class, () -> new Module() {
            { registerParameter("x", Tensor.zeros(1)); registerModule("x", new SiLU()); }
        });
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Module() { { registerParameter("i", Tensor.ofLongs(new long[] {1}, 1)); } });
    }

    @Test
    void zeroGradClearsEveryGradient() {
        TestNets.Net net = new TestNets.Net(2);
        net.forward(Tensor.randn(new Generator(1), 2, 4)).sum().backward();
        for (Parameter p : net.parameters()) assertNotNull(p.grad(), p.name());
        net.zeroGrad();
        for (Parameter p : net.parameters()) assertNull(p.grad(), p.name());
    }

    @Test
    void frozenParametersGetNoGradient() {
        TestNets.Net net = new TestNets.Net(2);
        net.down.requiresGrad(false);
        net.forward(Tensor.randn(new Generator(1), 2, 4)).sum().backward();
        assertNull(net.down.get(0).conv1.weight().grad());
        assertNotNull(net.gain.grad());
        assertEquals(4 + 10, net.numTrainableParameters());
    }

    @Test
    void toDtypeConvertsParametersAndFloatingBuffers() {
        TestNets.Net net = new TestNets.Net(3);
        net.eval();
        Tensor x = Tensor.randn(new Generator(1), 2, 4);
        float[] y32 = net.forward(x).toFloatArray();
        Parameter before = net.gain;
        net.to(DType.F64);
        assertSame(before, net.gain, "slots survive conversion");
        for (Parameter p : net.parameters()) {
            assertEquals(DType.F64, p.dtype());
            assertTrue(p.data().requiresGrad() && p.data().isLeaf());
        }
        for (Buffer b : net.namedBuffers().values()) assertEquals(DType.F64, b.get().dtype());
        double[] y64 = net.forward(x.to(DType.F64)).toDoubleArray();
        for (int i = 0; i < y32.length; i++) assertEquals(y32[i], y64[i], 1e-5);
    }

    @Test
    void toStringPrintsTheLayerTree() {
        String expected = """
                Net(
                  (down): ModuleList(
                    (0): Block(
                      (conv1): Linear(in_features=4, out_features=8, bias=True)
                      (act): SiLU()
                      (conv2): Linear(in_features=8, out_features=4, bias=False)
                    )
                    (1): Block(
                      (conv1): Linear(in_features=4, out_features=8, bias=True)
                      (act): SiLU()
                      (conv2): Linear(in_features=8, out_features=4, bias=False)
                    )
                  )
                  (head): Sequential(
                    (0): Linear(in_features=4, out_features=2, bias=True)
                    (1): Dropout(p=0.1, inplace=False)
                  )
                )""";
        assertEquals(expected, new TestNets.Net(1).toString());
    }

    @Test
    void pythonStyleNumbersInReprs() {
        assertEquals("1e-05", Repr.num(1e-5));
        assertEquals("1e-06", Repr.num(1e-6));
        assertEquals("1.5e-05", Repr.num(1.5e-5));
        assertEquals("0.0001", Repr.num(1e-4));
        assertEquals("0.1", Repr.num(0.1));
        assertEquals("1.0", Repr.num(1));
        assertEquals("-2.5", Repr.num(-2.5));
        assertEquals("1e+16", Repr.num(1e16));
    }

    @Test
    void moduleGradientsMatchFiniteDifferences() {
        TestNets.Net net = new TestNets.Net(4);
        net.eval(); // dropout off: the check needs a deterministic function
        ModuleGradCheck.check("net", net, Tensor.randn(new Generator(9), 2, 4));
    }
}
