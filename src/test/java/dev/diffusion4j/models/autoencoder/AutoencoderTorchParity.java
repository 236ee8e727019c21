package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Java side of bench/vae_parity.py: loads the folder diffusers saved (DIR/model) with {@link DiffusersFolder} and
 * compares encode and decode with diffusers' outputs in DIR/reference.safetensors, printing one "ok ..." or "FAIL ..."
 * line per comparison with the max error over the largest reference value and the relative L2 error.
 * <pre>java -cp diffusion4j.jar:test-classes dev.diffusion4j.models.autoencoder.AutoencoderTorchParity DIR kl|vq cuda</pre>
 * Bounds: f32 (TF32 off on both sides) max rel 2e-3 and rel L2 1e-4; bf16 autocast rel L2 5e-2 (the two implementations
 * round differently). VQ code indices: at least 99.9% the same as diffusers' (a near tie may flip between its
 * cdist and our matmul distances; f32) and 99% (bf16 encoder outputs). Exit status 1 when any comparison fails.
 */
public final class AutoencoderTorchParity {
    final List<String> lines = new ArrayList<>();
    boolean failed;

    public static void main(String[] args) throws IOException {
        if (args.length != 3) throw new IllegalArgumentException("usage: AutoencoderTorchParity DIR kl|vq DEVICE");
        AutoencoderTorchParity p = new AutoencoderTorchParity();
        p.run(Path.of(args[0]), args[1], Device.parse(args[2]));
        p.lines.forEach(System.out::println);
        if (p.failed) System.exit(1);
    }

    void run(Path dir, String kind, Device device) throws IOException {
        Map<String, Tensor> ref = StateDicts.load(dir.resolve("reference.safetensors"));
        Tensor x = ref.get("x").to(device);
        Autoencoder m = kind.equals("kl") ? DiffusersFolder.loadKL(dir.resolve("model")) : DiffusersFolder.loadVQ(dir.resolve("model"));
        m.to(device);
        m.eval();
        for (Precision precision : new Precision[] {Precision.FP32, Precision.BF16}) {
            precision.applyMathMode();
            String s = precision == Precision.BF16 ? "_bf16" : "";
            String tag = kind + " " + precision.id() + " on " + device;
            try (var g = GradMode.off(); var ac = precision.autocast()) {
                if (m instanceof AutoencoderKL kl) {
                    DiagonalGaussian q = kl.encode(x);
                    compare(tag, "encode mode", q.mode(), ref.get("mode" + s), precision);
                    compare(tag, "encode logvar", q.logvar(), ref.get("logvar" + s), precision);
                    compare(tag, "decode(mode)", kl.decode(ref.get("mode").to(device)), ref.get("decoded" + s), precision);
                } else {
                    VQModel vq = (VQModel) m;
                    compare(tag, "encode latents", vq.encode(x).latents(null), ref.get("latents" + s), precision);
                    VectorQuantizer.Quantized q = vq.quantizer().quantize(ref.get("latents").to(device));
                    codes(tag, q.indices(), ref.get("indices" + s), precision == Precision.BF16 ? 0.99 : 0.999);
                    compare(tag, "decode(quantized)", vq.decodeQuantized(ref.get("quantized").to(device)), ref.get("decoded_quantized" + s), precision);
                    report(tag, "decode(latents) (quantises; differs where a code flipped)", vq.decode(ref.get("latents").to(device)),
                            ref.get("decoded" + s));
                }
            }
        }
        Precision.FP32.applyMathMode();
    }

    private void compare(String tag, String what, Tensor actual, Tensor reference, Precision precision) {
        double[] e = errors(actual, reference);
        boolean ok = precision == Precision.BF16 ? e[1] < 5e-2 : e[0] < 2e-3 && e[1] < 1e-4;
        failed |= !ok;
        lines.add(String.format(Locale.ROOT, "%s %s %s: max rel %.2e, rel L2 %.2e", ok ? "ok" : "FAIL", tag, what, e[0], e[1]));
    }

    private void report(String tag, String what, Tensor actual, Tensor reference) {
        double[] e = errors(actual, reference);
        lines.add(String.format(Locale.ROOT, "info %s %s: max rel %.2e, rel L2 %.2e", tag, what, e[0], e[1]));
    }

    private void codes(String tag, Tensor actual, Tensor reference, double minAgreement) {
        long[] a = actual.to(Device.CPU).toLongArray(), r = reference.toLongArray();
        int same = 0;
        for (int i = 0; i < r.length; i++) if (a[i] == r[i]) same++;
        double agreement = (double) same / r.length;
        boolean ok = a.length == r.length && agreement >= minAgreement;
        failed |= !ok;
        lines.add(String.format(Locale.ROOT, "%s %s code indices: %d of %d the same (%.4f)", ok ? "ok" : "FAIL", tag, same, r.length, agreement));
    }

    /** {max |a - r| / max |r|, ||a - r|| / ||r||}. */
    static double[] errors(Tensor actual, Tensor reference) { return dev.diffusion4j.models.TensorDiff.errors(actual, reference); }
}
