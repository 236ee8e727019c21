package dev.diffusion4j.engine;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Manual timing of the fused f32 kernels (not a test: no timing is asserted anywhere). Run after test-compile with
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.diffusion4j.engine.NnOpsBench}.
 */
public final class NnOpsBench {
    private NnOpsBench() {}

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        Generator gen = new Generator(1);
        System.out.println("threads " + dev.diffusion4j.engine.cpu.Parallel.threads() + ", median of " + reps + " runs after warm-up");

        Tensor x = Tensor.randn(gen, 32, 128, 32, 32), w = Tensor.randn(gen, 128), b = Tensor.randn(gen, 128);
        Tensor gy = Tensor.randn(gen, 32, 128, 32, 32);
        time("groupNormSilu fwd      [32,128,32,32] g=32", reps, () -> {
            try (var g = GradMode.off()) { return F.groupNormSilu(x, 32, w, b, 1e-5); }
        });
        time("groupNormSilu fwd+bwd  [32,128,32,32] g=32", reps, () -> fwdBwd(gy, t -> F.groupNormSilu(t[0], 32, t[1], t[2], 1e-5), x, w, b));
        time("groupNorm fwd+bwd      [32,128,32,32] g=32", reps, () -> fwdBwd(gy, t -> F.groupNorm(t[0], 32, t[1], t[2], 1e-5), x, w, b));
        time("composed GN+SiLU f+b   [32,128,32,32] g=32", Math.min(reps, 5), () -> fwdBwd(gy, t -> composedGroupNormSilu(t[0], 32, t[1], t[2]), x, w, b));

        Tensor xl = Tensor.randn(gen, 8 * 256, 512), wl = Tensor.randn(gen, 512), bl = Tensor.randn(gen, 512), gl = Tensor.randn(gen, 8 * 256, 512);
        time("layerNorm fwd+bwd      [2048,512]", reps, () -> fwdBwd(gl, t -> F.layerNorm(t[0], 1, t[1], t[2], 1e-5), xl, wl, bl));

        Tensor s = Tensor.randn(gen, 8 * 8 * 256, 256), gs = Tensor.randn(gen, 8 * 8 * 256, 256);
        time("softmax fwd+bwd        [16384,256]", reps, () -> fwdBwd(gs, t -> F.softmax(t[0], -1), s));

        Tensor q = Tensor.randn(gen, 8, 4, 256, 64), k = Tensor.randn(gen, 8, 4, 256, 64), v = Tensor.randn(gen, 8, 4, 256, 64);
        Tensor ga = Tensor.randn(gen, 8, 4, 256, 64);
        time("attention fwd+bwd      [8,4,256,64]", Math.min(reps, 5), () -> fwdBwd(ga, t -> F.scaledDotProductAttention(t[0], t[1], t[2]), q, k, v));
    }

    /** GroupNorm + SiLU from primitive ops, for comparison with the fused kernel. */
    static Tensor composedGroupNormSilu(Tensor x, int groups, Tensor w, Tensor b) {
        int[] s = x.shape();
        Tensor xg = x.reshape(s[0], groups, -1);
        Tensor mu = xg.mean(2, true);
        Tensor xc = xg.sub(mu);
        Tensor var = xc.square().mean(2, true);
        Tensor y = xc.mul(var.add(1e-5).rsqrt()).reshape(s);
        y = y.mul(w.reshape(1, -1, 1, 1)).add(b.reshape(1, -1, 1, 1));
        return F.silu(y);
    }

    private static Object fwdBwd(Tensor gy, java.util.function.Function<Tensor[], Tensor> f, Tensor... in) {
        Tensor[] t = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) t[i] = in[i].detach().requiresGrad(true);
        f.apply(t).backward(gy);
        return t[0].grad();
    }

    private static void time(String name, int reps, Supplier<Object> body) {
        for (int i = 0; i < 3; i++) body.get();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            body.get();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf("%-45s median %8.2f ms  (min %.2f, max %.2f)%n", name, ms[reps / 2], ms[0], ms[reps - 1]);
    }
}
