package dev.diffusion4j.io.tensorboard;

/** Width, height and TensorBoard colorspace of a PNG, read from its IHDR chunk (the first chunk of every PNG). */
record PngHeader(int width, int height, int colorspace) {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    static PngHeader of(byte[] png) {
        if (png.length < 33) throw new IllegalArgumentException("not a PNG: " + png.length + " bytes");
        for (int i = 0; i < 8; i++) if (png[i] != SIGNATURE[i]) throw new IllegalArgumentException("not a PNG (no PNG signature)");
        if (png[12] != 'I' || png[13] != 'H' || png[14] != 'D' || png[15] != 'R') throw new IllegalArgumentException("not a PNG (no IHDR chunk first)");
        int w = int32(png, 16), h = int32(png, 20);
        // PNG colour type -> Summary.Image colorspace: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette images decode to RGB)
        int colorspace = switch (png[25]) {
            case 0 -> 1;
            case 4 -> 2;
            case 2, 3 -> 3;
            case 6 -> 4;
            default -> throw new IllegalArgumentException("not a PNG (colour type " + png[25] + ")");
        };
        return new PngHeader(w, h, colorspace);
    }

    private static int int32(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }
}
