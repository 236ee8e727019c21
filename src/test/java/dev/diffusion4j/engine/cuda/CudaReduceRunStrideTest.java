package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/** Runs without a GPU: which dim runs the column reduction reads as one stride, and which it leaves to the generic kernel. */
class CudaReduceRunStrideTest {
    private static long run(Tensor x, int from, int to) { return CudaReduce.runStride(x.shape(), x.strides(), from, to); }

    @Test
    void aChannelSliceOfAChannelsLastMapWalksItsPixelsAsOneRun() {
        Tensor x = Tensor.zeros(3, 20, 30, 80).slice(3, 24, 64);   // [N, H, W, 40] rows 80 apart
        assertEquals(80, run(x, 0, 3));
        assertEquals(1, run(x, 3, 4));
        assertEquals(0, run(x, 0, 0));   // no dims: an empty run
    }

    @Test
    void sizeOneDimsFitAnywhereButGapsAndFlipsDoNotMerge() {
        Tensor ones = Tensor.zeros(4, 1, 5).permute(1, 0, 2);   // [1, 4, 5], the size-1 dim's stride is arbitrary
        assertEquals(5, run(ones, 0, 2));
        Tensor gap = Tensor.zeros(4, 6, 5).slice(1, 0, 3);     // [4, 3, 5]: rows of dim 0 are 30 apart, not 15
        assertEquals(-1, run(gap, 0, 2));
        assertEquals(5, run(gap, 1, 2));
        Tensor flipped = Tensor.zeros(4, 8, 32).flip(1);       // a negative stride: the generic kernel's case
        assertEquals(-1, run(flipped, 0, 2));
        assertEquals(-1, run(flipped, 1, 2));
    }
}
