package dev.diffusion4j.engine.cuda;

/** Device-side fills and conversions from elementwise.cu: random test data without host traffic. */
public final class DeviceFill {
    private static final int BLOCK = 256;

    private DeviceFill() {}

    /** Uniform floats in [lo, hi), a pure function of (seed, index). */
    public static void uniform(CudaContext ctx, long dst, long count, long seed, float lo, float hi) {
        ctx.kernels().kernel("elementwise.cu", "fill_uniform_f32").launch(grid(ctx, count), Dim3.of(BLOCK), 0, dst, count, seed, lo, hi);
    }

    /** float32 to bfloat16 bits, round to nearest even (same as {@link Bf16#fromFloat(float)}). */
    public static void toBf16(CudaContext ctx, long src, long dst, long count) {
        ctx.kernels().kernel("elementwise.cu", "f32_to_bf16").launch(grid(ctx, count), Dim3.of(BLOCK), 0, src, dst, count);
    }

    /** y = a·x + b elementwise. */
    public static void axpb(CudaContext ctx, long x, long y, float a, float b, long count) {
        ctx.kernels().kernel("elementwise.cu", "axpb_f32").launch(grid(ctx, count), Dim3.of(BLOCK), 0, x, y, a, b, count);
    }

    /** Enough blocks to fill the device a few times over; the kernels' grid-stride loops do the rest. */
    static Dim3 grid(CudaContext ctx, long count) {
        long needed = Math.max(1, (count + BLOCK - 1) / BLOCK);
        return Dim3.of((int) Math.min(needed, (long) ctx.properties().multiprocessors() * 32));
    }
}
