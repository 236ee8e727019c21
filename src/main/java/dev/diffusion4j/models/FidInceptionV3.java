package dev.diffusion4j.models;

import dev.diffusion4j.engine.Conv2dParams;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * InceptionV3 as pytorch-fid builds it for FID (the TF 2015-12-05 graph): the FID variants of the Mixed blocks (3x3
 * average pools that exclude padding, a 3x3 max pool in the last block), up to the 2048-d global average ("pool3").
 * Inference only: each conv's batch norm (eps 1e-3) is folded into the conv's weight and bias at load time. Weights use
 * pytorch-fid's state-dict names (e.g. {@code Mixed_5b.branch5x5_2.conv.weight}, {@code ...bn.running_var}).
 */
public final class FidInceptionV3 {
    public static final int FEATURES = 2048;
    public static final int INPUT_SIZE = 299;
    static final double BN_EPS = 1e-3;

    /** One BasicConv2d (conv without bias, batch norm, ReLU). */
    public record ConvSpec(int in, int out, int kh, int kw, int stride, int padH, int padW) {
        Conv2dParams params() { return new Conv2dParams(stride, stride, padH, padW, 1, 1, 1); }
    }

    record Folded(Tensor weight, Tensor bias, Conv2dParams params) {
        Tensor apply(Tensor x) { return F.relu(F.conv2d(x, weight, bias, params)); }
    }

    private final Map<String, Folded> convs;

    private FidInceptionV3(Map<String, Folded> convs) { this.convs = convs; }

    /**
     * Builds the network from pytorch-fid's state dict (CPU tensors; extra entries such as {@code fc.*} and
     * {@code num_batches_tracked} are ignored) and moves it to {@code device}.
     *
     * @throws IllegalArgumentException naming the first missing or mis-shaped tensor
     */
    public static FidInceptionV3 fromStateDict(Map<String, Tensor> state, Device device) {
        List<String> problems = new ArrayList<>();
        for (var e : architecture().entrySet()) {
            ConvSpec s = e.getValue();
            String p = e.getKey();
            check(state, p + ".conv.weight", new int[] {s.out(), s.in(), s.kh(), s.kw()}, problems);
            for (String bn : List.of("weight", "bias", "running_mean", "running_var")) check(state, p + ".bn." + bn, new int[] {s.out()}, problems);
        }
        if (!problems.isEmpty())
            throw new IllegalArgumentException("not pytorch-fid's FID Inception weights: " + problems.size() + " problem(s), first: " + problems.get(0));
        Map<String, Folded> convs = new LinkedHashMap<>();
        for (var e : architecture().entrySet()) convs.put(e.getKey(), fold(state, e.getKey(), e.getValue(), device));
        return new FidInceptionV3(convs);
    }

    private static void check(Map<String, Tensor> state, String name, int[] shape, List<String> problems) {
        Tensor t = state.get(name);
        if (t == null) problems.add(name + " is missing");
        else if (!Arrays.equals(t.shape(), shape)) problems.add(name + " has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
    }

    /** conv then BN(x) = gamma (x - mean) / sqrt(var + eps) + beta, as one conv: w * s, beta - mean * s with s = gamma / sqrt(var + eps). */
    static Folded fold(Map<String, Tensor> state, String prefix, ConvSpec spec, Device device) {
        double[] w = state.get(prefix + ".conv.weight").toDoubleArray();
        double[] gamma = state.get(prefix + ".bn.weight").toDoubleArray(), beta = state.get(prefix + ".bn.bias").toDoubleArray();
        double[] mean = state.get(prefix + ".bn.running_mean").toDoubleArray(), var = state.get(prefix + ".bn.running_var").toDoubleArray();
        int per = w.length / spec.out();
        float[] fw = new float[w.length], fb = new float[spec.out()];
        for (int o = 0; o < spec.out(); o++) {
            double s = gamma[o] / Math.sqrt(var[o] + BN_EPS);
            for (int i = 0; i < per; i++) fw[o * per + i] = (float) (w[o * per + i] * s);
            fb[o] = (float) (beta[o] - mean[o] * s);
        }
        return new Folded(Tensor.of(fw, spec.out(), spec.in(), spec.kh(), spec.kw()).to(device), Tensor.of(fb, spec.out()).to(device), spec.params());
    }

    /**
     * The 2048-d pool3 features of images {@code [N, 3, H, W]} in [-1, 1]: bilinear resize to 299x299
     * (align_corners=False), which is what pytorch-fid feeds its network after scaling [0, 1] inputs to [-1, 1].
     */
    public Tensor pool3(Tensor x) {
        if (x.rank() != 4 || x.shape(1) != 3) throw new IllegalArgumentException("Inception reads [N, 3, H, W] images, got " + Arrays.toString(x.shape()));
        Tensor h = x.to(DType.F32);
        if (h.shape(2) != INPUT_SIZE || h.shape(3) != INPUT_SIZE) h = F.upsampleBilinear(h, INPUT_SIZE, INPUT_SIZE);
        return unresized(h);
    }

    /** The network on images as they are (at least 75x75; it is fully convolutional up to the global average). */
    Tensor unresized(Tensor h) {
        h = conv("Conv2d_2b_3x3", conv("Conv2d_2a_3x3", conv("Conv2d_1a_3x3", h)));
        h = Pool3x3.max(h, 2, 0);
        h = conv("Conv2d_4a_3x3", conv("Conv2d_3b_1x1", h));
        h = Pool3x3.max(h, 2, 0);
        for (String m : List.of("Mixed_5b", "Mixed_5c", "Mixed_5d")) h = blockA(m, h);
        h = blockB("Mixed_6a", h);
        for (String m : List.of("Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e")) h = blockC(m, h);
        h = blockD("Mixed_7a", h);
        h = blockE("Mixed_7b", h, false);
        h = blockE("Mixed_7c", h, true);
        return h.mean(new int[] {2, 3}, false);
    }

    private Tensor conv(String name, Tensor x) { return convs.get(name).apply(x); }

    private Tensor chain(String p, Tensor x, String... names) {
        for (String n : names) x = conv(p + "." + n, x);
        return x;
    }

    private Tensor blockA(String p, Tensor x) {
        return Tensor.cat(1, chain(p, x, "branch1x1"), chain(p, x, "branch5x5_1", "branch5x5_2"),
                chain(p, x, "branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"), chain(p, Pool3x3.avgExcludingPad(x), "branch_pool"));
    }

    private Tensor blockB(String p, Tensor x) {
        return Tensor.cat(1, chain(p, x, "branch3x3"), chain(p, x, "branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"), Pool3x3.max(x, 2, 0));
    }

    private Tensor blockC(String p, Tensor x) {
        return Tensor.cat(1, chain(p, x, "branch1x1"), chain(p, x, "branch7x7_1", "branch7x7_2", "branch7x7_3"),
                chain(p, x, "branch7x7dbl_1", "branch7x7dbl_2", "branch7x7dbl_3", "branch7x7dbl_4", "branch7x7dbl_5"),
                chain(p, Pool3x3.avgExcludingPad(x), "branch_pool"));
    }

    private Tensor blockD(String p, Tensor x) {
        return Tensor.cat(1, chain(p, x, "branch3x3_1", "branch3x3_2"), chain(p, x, "branch7x7x3_1", "branch7x7x3_2", "branch7x7x3_3", "branch7x7x3_4"),
                Pool3x3.max(x, 2, 0));
    }

    /** The last block (Mixed_7c) pools with a 3x3 max where the others average: the TF graph's quirk that FID keeps. */
    private Tensor blockE(String p, Tensor x, boolean maxPool) {
        Tensor b3 = conv(p + ".branch3x3_1", x);
        Tensor d3 = chain(p, x, "branch3x3dbl_1", "branch3x3dbl_2");
        Tensor pool = maxPool ? Pool3x3.max(x, 1, 1) : Pool3x3.avgExcludingPad(x);
        return Tensor.cat(1, conv(p + ".branch1x1", x),
                Tensor.cat(1, conv(p + ".branch3x3_2a", b3), conv(p + ".branch3x3_2b", b3)),
                Tensor.cat(1, conv(p + ".branch3x3dbl_3a", d3), conv(p + ".branch3x3dbl_3b", d3)),
                conv(p + ".branch_pool", pool));
    }

    // ------------------------------------------------------------------ architecture

    /** Every BasicConv2d under its state-dict prefix, in network order. */
    public static LinkedHashMap<String, ConvSpec> architecture() {
        LinkedHashMap<String, ConvSpec> a = new LinkedHashMap<>();
        a.put("Conv2d_1a_3x3", new ConvSpec(3, 32, 3, 3, 2, 0, 0));
        a.put("Conv2d_2a_3x3", new ConvSpec(32, 32, 3, 3, 1, 0, 0));
        a.put("Conv2d_2b_3x3", new ConvSpec(32, 64, 3, 3, 1, 1, 1));
        a.put("Conv2d_3b_1x1", one(64, 80));
        a.put("Conv2d_4a_3x3", new ConvSpec(80, 192, 3, 3, 1, 0, 0));
        specA(a, "Mixed_5b", 192, 32);
        specA(a, "Mixed_5c", 256, 64);
        specA(a, "Mixed_5d", 288, 64);
        a.put("Mixed_6a.branch3x3", new ConvSpec(288, 384, 3, 3, 2, 0, 0));
        a.put("Mixed_6a.branch3x3dbl_1", one(288, 64));
        a.put("Mixed_6a.branch3x3dbl_2", new ConvSpec(64, 96, 3, 3, 1, 1, 1));
        a.put("Mixed_6a.branch3x3dbl_3", new ConvSpec(96, 96, 3, 3, 2, 0, 0));
        specC(a, "Mixed_6b", 128);
        specC(a, "Mixed_6c", 160);
        specC(a, "Mixed_6d", 160);
        specC(a, "Mixed_6e", 192);
        a.put("Mixed_7a.branch3x3_1", one(768, 192));
        a.put("Mixed_7a.branch3x3_2", new ConvSpec(192, 320, 3, 3, 2, 0, 0));
        a.put("Mixed_7a.branch7x7x3_1", one(768, 192));
        a.put("Mixed_7a.branch7x7x3_2", row(192, 192, 7));
        a.put("Mixed_7a.branch7x7x3_3", column(192, 192, 7));
        a.put("Mixed_7a.branch7x7x3_4", new ConvSpec(192, 192, 3, 3, 2, 0, 0));
        specE(a, "Mixed_7b", 1280);
        specE(a, "Mixed_7c", 2048);
        return a;
    }

    private static ConvSpec one(int in, int out) { return new ConvSpec(in, out, 1, 1, 1, 0, 0); }

    /** A 1 x k kernel, padded to keep the size. */
    private static ConvSpec row(int in, int out, int k) { return new ConvSpec(in, out, 1, k, 1, 0, k / 2); }

    /** A k x 1 kernel, padded to keep the size. */
    private static ConvSpec column(int in, int out, int k) { return new ConvSpec(in, out, k, 1, 1, k / 2, 0); }

    private static void specA(Map<String, ConvSpec> a, String p, int in, int poolFeatures) {
        a.put(p + ".branch1x1", one(in, 64));
        a.put(p + ".branch5x5_1", one(in, 48));
        a.put(p + ".branch5x5_2", new ConvSpec(48, 64, 5, 5, 1, 2, 2));
        a.put(p + ".branch3x3dbl_1", one(in, 64));
        a.put(p + ".branch3x3dbl_2", new ConvSpec(64, 96, 3, 3, 1, 1, 1));
        a.put(p + ".branch3x3dbl_3", new ConvSpec(96, 96, 3, 3, 1, 1, 1));
        a.put(p + ".branch_pool", one(in, poolFeatures));
    }

    private static void specC(Map<String, ConvSpec> a, String p, int c7) {
        a.put(p + ".branch1x1", one(768, 192));
        a.put(p + ".branch7x7_1", one(768, c7));
        a.put(p + ".branch7x7_2", row(c7, c7, 7));
        a.put(p + ".branch7x7_3", column(c7, 192, 7));
        a.put(p + ".branch7x7dbl_1", one(768, c7));
        a.put(p + ".branch7x7dbl_2", column(c7, c7, 7));
        a.put(p + ".branch7x7dbl_3", row(c7, c7, 7));
        a.put(p + ".branch7x7dbl_4", column(c7, c7, 7));
        a.put(p + ".branch7x7dbl_5", row(c7, 192, 7));
        a.put(p + ".branch_pool", one(768, 192));
    }

    private static void specE(Map<String, ConvSpec> a, String p, int in) {
        a.put(p + ".branch1x1", one(in, 320));
        a.put(p + ".branch3x3_1", one(in, 384));
        a.put(p + ".branch3x3_2a", row(384, 384, 3));
        a.put(p + ".branch3x3_2b", column(384, 384, 3));
        a.put(p + ".branch3x3dbl_1", one(in, 448));
        a.put(p + ".branch3x3dbl_2", new ConvSpec(448, 384, 3, 3, 1, 1, 1));
        a.put(p + ".branch3x3dbl_3a", row(384, 384, 3));
        a.put(p + ".branch3x3dbl_3b", column(384, 384, 3));
        a.put(p + ".branch_pool", one(in, 192));
    }
}
