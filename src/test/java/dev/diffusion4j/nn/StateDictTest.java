package dev.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateDictTest {
    static LinkedHashMap<String, Tensor> copyOf(Map<String, Tensor> m) {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, Tensor.of(v.toDoubleArray(), v.shape()).to(v.dtype())));
        return out;
    }

    static void assertSameValues(Map<String, Tensor> a, Map<String, Tensor> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toDoubleArray(), b.get(k).toDoubleArray(), k);
    }

    @Test
    void roundTripMakesModelsAgree() {
        TestNets.Net a = new TestNets.Net(1), b = new TestNets.Net(2);
        a.eval();
        b.eval();
        Tensor x = Tensor.randn(new Generator(3), 2, 4);
        assertFalse(java.util.Arrays.equals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray()));
        Parameter slot = b.gain;
        Tensor tensorBefore = b.gain.data();
        Module.LoadResult r = b.loadStateDict(copyOf(a.stateDict()), true);
        assertTrue(r.complete());
        assertArrayEquals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray());
        assertSameValues(a.stateDict(), b.stateDict());
        assertSame(slot, b.gain);
        assertSame(tensorBefore, b.gain.data(), "loading writes in place, so optimizer state stays attached");
    }

    @Test
    void loadConvertsDtype() {
        TestNets.Net a = new TestNets.Net(1), b = new TestNets.Net(2);
        LinkedHashMap<String, Tensor> sd = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> sd.put(k, v.to(DType.F64)));
        b.loadStateDict(sd, true);
        assertEquals(DType.F32, b.gain.dtype());
        assertSameValues(a.stateDict(), b.stateDict());
    }

    @Test
    void strictLoadNamesTheFirstMissingAndUnexpectedKey() {
        TestNets.Net net = new TestNets.Net(1);
        LinkedHashMap<String, Tensor> sd = copyOf(net.stateDict());
        sd.remove("down.1.conv1.bias");
        sd.remove("head.0.bias");
        sd.put("head.0.b", Tensor.zeros(2));
        var e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(sd, true));
        assertEquals("state dict does not fit Net: missing key 'down.1.conv1.bias' (2 missing in all), "
                + "unexpected key 'head.0.b' (1 unexpected in all); load with strict=false to skip them", e.getMessage());
    }

    @Test
    void nonStrictLoadReportsWhatItSkipped() {
        TestNets.Net a = new TestNets.Net(1), b = new TestNets.Net(2);
        LinkedHashMap<String, Tensor> sd = copyOf(a.stateDict());
        sd.remove("head.0.bias");
        sd.put("extra", Tensor.zeros(1));
        float[] headBias = b.head.get(0) instanceof Linear l ? l.bias().data().toFloatArray() : null;
        Module.LoadResult r = b.loadStateDict(sd, false);
        assertEquals(List.of("head.0.bias"), r.missing());
        assertEquals(List.of("extra"), r.unexpected());
        assertArrayEquals(headBias, ((Linear) b.head.get(0)).bias().data().toFloatArray(), "missing entries stay as they were");
        assertArrayEquals(a.gain.data().toFloatArray(), b.gain.data().toFloatArray());
    }

    @Test
    void shapeMismatchNamesBothShapesAndChangesNothing() {
        TestNets.Net a = new TestNets.Net(1), b = new TestNets.Net(2);
        LinkedHashMap<String, Tensor> sd = copyOf(a.stateDict());
        sd.put("down.1.conv2.weight", Tensor.zeros(4, 9));
        LinkedHashMap<String, Tensor> before = copyOf(b.stateDict());
        for (boolean strict : new boolean[] {true, false}) {
            var e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(sd, strict));
            assertEquals("state dict does not fit Net: 'down.1.conv2.weight' has shape [4, 9] in the state dict but [4, 8] in the model",
                    e.getMessage());
            assertSameValues(before, b.stateDict());
        }
    }

    @Test
    void nonPersistentBuffersAreNotSaved() {
        TestNets.Net net = new TestNets.Net(1);
        assertTrue(net.namedBuffers().containsKey("down.0.cache"));
        assertFalse(net.stateDict().containsKey("down.0.cache"));
        assertTrue(net.stateDict().containsKey("down.0.scale"));
    }
}
