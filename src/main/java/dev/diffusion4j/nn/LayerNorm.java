package dev.diffusion4j.nn;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Layer normalisation over the trailing {@code normalizedShape} dims, with elementwise weight (ones) and bias (zeros). */
public final class LayerNorm extends Module {
    private final int[] normalizedShape;
    private final double eps;
    private final Parameter weight, bias;

    public LayerNorm(int dim) { this(new int[] {dim}, 1e-5, true); }

    /** DiT uses eps 1e-6 without affine parameters (adaLN supplies the scale and shift). */
    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine) {
        if (normalizedShape.length == 0) throw new IllegalArgumentException("LayerNorm needs at least one normalised dim");
        for (int d : normalizedShape) if (d <= 0) throw new IllegalArgumentException("LayerNorm dims must be positive, got " + Arrays.toString(normalizedShape));
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.weight = elementwiseAffine ? registerParameter("weight", Tensor.ones(normalizedShape)) : null;
        this.bias = elementwiseAffine ? registerParameter("bias", Tensor.zeros(normalizedShape)) : null;
    }

    @Override public Tensor forward(Tensor x) {
        int n = normalizedShape.length;
        if (x.rank() < n || !Arrays.equals(Arrays.copyOfRange(x.shape(), x.rank() - n, x.rank()), normalizedShape))
            throw new IllegalArgumentException("LayerNorm" + Arrays.toString(normalizedShape) + " got input " + Arrays.toString(x.shape()));
        return F.layerNorm(x, n, weight == null ? null : weight.data(), bias == null ? null : bias.data(), eps);
    }

    public int[] normalizedShape() { return normalizedShape.clone(); }
    public double eps() { return eps; }
    public Parameter weight() { return weight; }
    public Parameter bias() { return bias; }

    @Override protected String extraRepr() {
        String shape = normalizedShape.length == 1 ? "(" + normalizedShape[0] + ",)"
                : Arrays.stream(normalizedShape).mapToObj(Integer::toString).collect(Collectors.joining(", ", "(", ")"));
        return shape + ", eps=" + Repr.num(eps) + ", elementwise_affine=" + Repr.bool(weight != null);
    }
}
