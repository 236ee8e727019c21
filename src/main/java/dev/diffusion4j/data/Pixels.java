package dev.diffusion4j.data;

/** Conversions between stored 8-bit pixels and the float ranges used in training. */
final class Pixels {
    private Pixels() {}

    /** 0..255 to [-1, 1]. */
    static float byteToSigned(int b) {
        return (b & 0xff) / 127.5f - 1f;
    }

    /** [-1, 1] to 0..255, clamped; NaN becomes 0 so a broken sample shows up black. */
    static int signedToByte(float v) {
        if (!(v > -1f)) return 0;
        if (v >= 1f) return 255;
        return Math.round((v + 1f) * 127.5f);
    }

    /** [0, 1] to 0..255, clamped. */
    static int unitToByte(float v) {
        if (!(v > 0f)) return 0;
        if (v >= 1f) return 255;
        return Math.round(v * 255f);
    }

    /** ITU-R BT.601 luma, the weights PIL's "L" conversion uses, so grayscale matches PyTorch pipelines. */
    static float luma(float r, float g, float b) {
        return 0.299f * r + 0.587f * g + 0.114f * b;
    }
}
