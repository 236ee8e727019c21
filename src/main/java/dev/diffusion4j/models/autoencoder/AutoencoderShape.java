package dev.diffusion4j.models.autoencoder;

import java.util.List;

/**
 * What the encoder/decoder pair of diffusers' autoencoders (KL and VQ alike) accepts, and how many parameters a
 * layout holds, from the configuration alone. One place, so both configs refuse the same things in the same words.
 */
final class AutoencoderShape {
    private AutoencoderShape() {}

    static final String DOWN_BLOCK = "DownEncoderBlock2D";
    static final String UP_BLOCK = "UpDecoderBlock2D";
    /** GroupNorm epsilon of every norm in diffusers' Encoder and Decoder. */
    static final double EPS = 1e-6;

    static void check(int inChannels, int outChannels, List<String> downBlockTypes, List<String> upBlockTypes,
                      List<Integer> blockOutChannels, int layersPerBlock, String actFn, int latentChannels, int normGroups) {
        if (inChannels < 1 || outChannels < 1 || latentChannels < 1 || layersPerBlock < 1 || normGroups < 1)
            throw new IllegalArgumentException("in_channels, out_channels, latent_channels, layers_per_block and norm_num_groups must be"
                    + " positive, got " + inChannels + ", " + outChannels + ", " + latentChannels + ", " + layersPerBlock + ", " + normGroups);
        if (blockOutChannels.isEmpty()) throw new IllegalArgumentException("block_out_channels is empty: give one width per level");
        for (int c : blockOutChannels)
            if (c < 1 || c % normGroups != 0)
                throw new IllegalArgumentException("block_out_channels " + blockOutChannels + ": every width must be a positive multiple of"
                        + " norm_num_groups " + normGroups + ", " + c + " is not");
        checkTypes("down_block_types", downBlockTypes, DOWN_BLOCK, blockOutChannels.size());
        checkTypes("up_block_types", upBlockTypes, UP_BLOCK, blockOutChannels.size());
        if (!"silu".equals(actFn) && !"swish".equals(actFn))
            throw new IllegalArgumentException("act_fn '" + actFn + "' is not supported: only silu (swish) is");
    }

    private static void checkTypes(String key, List<String> types, String supported, int levels) {
        for (String t : types)
            if (!supported.equals(t)) throw new IllegalArgumentException(key + ": block type '" + t + "' is not supported; only " + supported + " is");
        if (types.size() != levels)
            throw new IllegalArgumentException(key + " has " + types.size() + " entries but block_out_channels has " + levels + ": give one per level");
    }

    static long conv(long cin, long cout, int k) { return cin * cout * k * k + cout; }

    static long norm(long c) { return 2 * c; }

    static long resnet(long cin, long cout) {
        return norm(cin) + conv(cin, cout, 3) + norm(cout) + conv(cout, cout, 3) + (cin != cout ? conv(cin, cout, 1) : 0);
    }

    static long mid(long c, boolean attention) { return 2 * resnet(c, c) + (attention ? norm(c) + 4 * (c * c + c) : 0); }

    static long encoderParams(int inChannels, int outChannels, List<Integer> widths, int layers, boolean attention) {
        long n = conv(inChannels, widths.get(0), 3);
        long prev = widths.get(0);
        for (int i = 0; i < widths.size(); i++) {
            long c = widths.get(i);
            n += resnet(prev, c) + (layers - 1) * resnet(c, c);
            if (i < widths.size() - 1) n += conv(c, c, 3);
            prev = c;
        }
        long top = widths.getLast();
        return n + mid(top, attention) + norm(top) + conv(top, outChannels, 3);
    }

    static long decoderParams(int inChannels, int outChannels, List<Integer> widths, int layers, boolean attention) {
        long top = widths.getLast();
        long n = conv(inChannels, top, 3) + mid(top, attention);
        long prev = top;
        for (int i = widths.size() - 1; i >= 0; i--) {
            long c = widths.get(i);
            n += resnet(prev, c) + layers * resnet(c, c);   // layers_per_block + 1 resnets per up block
            if (i > 0) n += conv(c, c, 3);
            prev = c;
        }
        return n + norm(widths.getFirst()) + conv(widths.getFirst(), outChannels, 3);
    }
}
