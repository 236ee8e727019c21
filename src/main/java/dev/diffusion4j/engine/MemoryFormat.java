package dev.diffusion4j.engine;

/**
 * Where the channels of an image tensor sit, as PyTorch's memory_format: [N, C, H, W] (the default) or [N, H, W, C].
 * Convolutions and group norms take either; channels-last is what cuDNN's tensor-core convolutions read without
 * transposing, so a network kept channels-last end to end on a GPU skips a transpose on each side of each convolution.
 */
public enum MemoryFormat {
    CHANNELS_FIRST, CHANNELS_LAST;

    /** The channel dim of a rank-r tensor in this format. */
    public int channelDim(int rank) { return this == CHANNELS_FIRST ? 1 : rank - 1; }

    /** A channels-first [N, C, ...] tensor in this format (a contiguous copy unless channels-first). */
    public Tensor fromChannelsFirst(Tensor x) { return this == CHANNELS_FIRST ? x : x.permute(toLast(x.rank())).contiguous(); }

    /** A tensor in this format as channels-first (a contiguous copy unless channels-first). */
    public Tensor toChannelsFirst(Tensor x) { return this == CHANNELS_FIRST ? x : x.permute(toFirst(x.rank())).contiguous(); }

    /** [N, C, d2, ...] -> [N, d2, ..., C] as a permutation. */
    static int[] toLast(int rank) {
        int[] p = new int[rank];
        p[0] = 0;
        for (int i = 1; i < rank - 1; i++) p[i] = i + 1;
        p[rank - 1] = 1;
        return p;
    }

    /** [N, d2, ..., C] -> [N, C, d2, ...] as a permutation. */
    static int[] toFirst(int rank) {
        int[] p = new int[rank];
        p[0] = 0;
        p[1] = rank - 1;
        for (int i = 2; i < rank; i++) p[i] = i - 1;
        return p;
    }
}
