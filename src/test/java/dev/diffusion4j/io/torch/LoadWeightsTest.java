package dev.diffusion4j.io.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The entry point user-given weights go through (e.g. --features inception:FILE) reads PyTorch checkpoints too. */
class LoadWeightsTest {
    @Test
    void stateDictsLoadWeightsReadsACheckpoint() throws IOException {
        Map<String, RawTensor> want = TorchCheckpointTest.expected("params");
        Map<String, Tensor> got = StateDicts.loadWeights(Fixtures.path("params.pt"), "state_dict");
        assertEquals(want.size(), got.size());
        want.forEach((k, v) -> {
            Tensor t = got.get(k.substring("state_dict.".length()));
            assertArrayEquals(v.shape(), t.shape(), k);
            assertArrayEquals(v.toFloats(), t.toFloatArray(), k);
        });
    }
}
