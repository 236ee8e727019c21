package dev.diffusion4j.engine.cpu;

import static dev.diffusion4j.engine.cpu.SgemmKernel.L;
import static dev.diffusion4j.engine.cpu.SgemmKernel.NR;
import static dev.diffusion4j.engine.cpu.SgemmKernel.S;

import java.util.function.IntUnaryOperator;
import jdk.incubator.vector.FloatVector;

/** GEMM packers and writers that read and write NCHW images in place of im2col matrices. */
final class ConvPackers {
    private ConvPackers() {}

    /**
     * Stride-1 implicit im2col over a zero-padded image: X[j][p] = buf[base(b) + shift[p] + j], where
     * j = oy * Wp + ox runs over output rows at the padded width Wp (columns ox >= outW are junk that
     * the writer drops) and shift[p] = ci * Hp*Wp + ky*dh * Wp + kx*dw. Every sliver row is one copy.
     */
    record ShiftedRows(float[] buf, IntUnaryOperator base, int[] shift) implements GemmPacker {
        @Override public void pack(int b, int i0, int len, int p0, int kc, int w, float[] dst) {
            int bb = base.applyAsInt(b) + i0;
            for (int s = 0; s * w < len; s++) {
                int r0 = s * w, rows = Math.min(w, len - r0), d = s * kc * w;
                if (rows == NR && w == NR) {
                    for (int p = 0; p < kc; p++) {
                        int src = bb + shift[p0 + p] + r0, o = d + p * NR;
                        FloatVector.fromArray(S, buf, src).intoArray(dst, o);
                        FloatVector.fromArray(S, buf, src + L).intoArray(dst, o + L);
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        System.arraycopy(buf, bb + shift[p0 + p] + r0, dst, d + p * w, rows);
                        for (int r = rows; r < w; r++) dst[d + p * w + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * General implicit im2col (any stride, padding, dilation): X[j][p] with j = (oy, ox) and
     * p = (ci, ky, kx) of one group; base(b) points at the group's first input channel.
     */
    record Im2col(float[] x, IntUnaryOperator base, ConvGeometry g) implements GemmPacker {
        @Override public void pack(int b, int i0, int len, int p0, int kc, int w, float[] dst) {
            int bb = base.applyAsInt(b), kk = g.kh() * g.kw(), ow = g.outW(), h = g.h(), wd = g.w();
            for (int s = 0; s * w < len; s++) {
                int j0 = i0 + s * w, rows = Math.min(w, len - s * w), d = s * kc * w;
                for (int p = 0; p < kc; p++) {
                    int q = p0 + p, ci = q / kk, ky = (q % kk) / g.kw(), kx = q % g.kw();
                    int cb = bb + ci * h * wd, dy = ky * g.dh() - g.ph(), dx = kx * g.dw() - g.pw();
                    int oy = j0 / ow, ox = j0 % ow, o = d + p * w;
                    for (int r = 0; r < rows; r++) {
                        int iy = oy * g.sh() + dy, ix = ox * g.sw() + dx;
                        dst[o + r] = (iy >= 0 && iy < h && ix >= 0 && ix < wd) ? x[cb + iy * wd + ix] : 0f;
                        if (++ox == ow) { ox = 0; oy++; }
                    }
                    for (int r = rows; r < w; r++) dst[o + r] = 0f;
                }
            }
        }
    }

    /**
     * Weight-gradient operand over a channels-last zero-padded batch xT[img][y][x][c] (c < cIn):
     * X[j][p] with j = (ky, kx, ci) of group b and p = (img, oy, ox); consecutive ci are contiguous,
     * so a sliver row is one or a few copies.
     */
    record ChannelsLast(float[] xt, ConvGeometry g, int hp, int wp) implements GemmPacker {
        @Override public void pack(int b, int i0, int len, int p0, int kc, int w, float[] dst) {
            int cin = g.cIn(), cg = g.cInPerGroup(), ow = g.outW(), ohw = g.outH() * ow;
            int[] row = new int[kc];
            for (int p = 0, q = p0; p < kc; p++, q++) {
                int img = q / ohw, oy = (q % ohw) / ow, ox = q % ow;
                row[p] = ((img * hp + oy * g.sh()) * wp + ox * g.sw()) * cin + b * cg;
            }
            for (int s = 0; s * w < len; s++) {
                int j0 = i0 + s * w, rows = Math.min(w, len - s * w), d = s * kc * w;
                for (int r = 0; r < rows; ) {
                    int j = j0 + r, kidx = j / cg, ci = j % cg, seg = Math.min(rows - r, cg - ci);
                    int shift = ((kidx / g.kw()) * g.dh() * wp + (kidx % g.kw()) * g.dw()) * cin + ci;
                    if (seg == NR && w == NR) {
                        for (int p = 0; p < kc; p++) {
                            int src = row[p] + shift, o = d + p * NR;
                            FloatVector.fromArray(S, xt, src).intoArray(dst, o);
                            FloatVector.fromArray(S, xt, src + L).intoArray(dst, o + L);
                        }
                    } else {
                        for (int p = 0; p < kc; p++) System.arraycopy(xt, row[p] + shift, dst, d + p * w + r, seg);
                    }
                    r += seg;
                }
                if (rows < w) for (int p = 0; p < kc; p++) for (int r = rows; r < w; r++) dst[d + p * w + r] = 0f;
            }
        }
    }

    /**
     * Writes C rows (output channels of one image and group, base(b) = their first plane) into NCHW
     * output: C column j = oy * wp + ox goes to (oy, ox) when ox < outW and is dropped otherwise.
     * Adds the bias on the first depth block.
     */
    record ConvOut(float[] y, IntUnaryOperator base, int wp, int ow, int ohw, float[] bias, IntUnaryOperator biasOff)
            implements GemmWriter {
        @Override public void write(int b, int i0, int j0, int rows, int cols, float[] tile, boolean first) {
            int yb = base.applyAsInt(b), bo = bias == null ? 0 : biasOff.applyAsInt(b);
            int oy0 = j0 / wp, ox0 = j0 - oy0 * wp, end = j0 + cols;
            for (int r = 0; r < rows; r++) {
                int rowBase = yb + (i0 + r) * ohw, t = r * NR - j0;
                float bv = first && bias != null ? bias[bo + i0 + r] : 0f;
                for (int j = j0, oy = oy0, ox = ox0; j < end; oy++, ox = 0) {
                    int run = Math.min(end - j, wp - ox), cnt = Math.min(run, ow - ox);
                    int o = rowBase + oy * ow + ox, ti = t + j;
                    if (first) for (int e = 0; e < cnt; e++) y[o + e] = tile[ti + e] + bv;
                    else for (int e = 0; e < cnt; e++) y[o + e] += tile[ti + e];
                    j += run;
                }
            }
        }
    }
}
