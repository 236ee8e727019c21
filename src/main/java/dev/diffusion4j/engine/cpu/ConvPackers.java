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
     * Stride-1 implicit im2col over zero-padded images: X[j][p] = buf[base(b) + shift[p] + (oy * wp + ox)]
     * for output position j = oy * ow + ox, with shift[p] = ci * Hp*Wp + ky*dh * Wp + kx*dw. A sliver
     * splits into runs within one output row, each a contiguous copy (one vector pair when ow % NR == 0).
     */
    record ShiftedRows(float[] buf, IntUnaryOperator base, int[] shift, int ow, int wp) implements GemmPacker {
        @Override public void pack(int b, int i0, int len, int p0, int kc, int w, float[] dst) {
            int bb = base.applyAsInt(b);
            int[] seg = new int[3 * w];
            for (int s = 0; s * w < len; s++) {
                int r0 = s * w, rows = Math.min(w, len - r0), d = s * kc * w, segs = 0;
                for (int r = 0; r < rows; ) { // runs: (dst column, src offset, length)
                    int j = i0 + r0 + r, oy = j / ow, ox = j % ow;
                    int run = wp == ow ? rows - r : Math.min(rows - r, ow - ox); // unpadded rows are contiguous
                    seg[3 * segs] = r;
                    seg[3 * segs + 1] = bb + oy * wp + ox;
                    seg[3 * segs++ + 2] = run;
                    r += run;
                }
                if (segs == 1 && rows == NR && w == NR) {
                    int src0 = seg[1];
                    for (int p = 0; p < kc; p++) {
                        int src = src0 + shift[p0 + p], o = d + p * NR;
                        FloatVector.fromArray(S, buf, src).intoArray(dst, o);
                        FloatVector.fromArray(S, buf, src + L).intoArray(dst, o + L);
                    }
                    continue;
                }
                for (int p = 0; p < kc; p++) {
                    int sh = shift[p0 + p], o = d + p * w;
                    for (int q = 0; q < segs; q++) System.arraycopy(buf, seg[3 * q + 1] + sh, dst, o + seg[3 * q], seg[3 * q + 2]);
                    for (int r = rows; r < w; r++) dst[o + r] = 0f;
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
     * Output gradient as the left operand of the weight gradient, read in place from NCHW:
     * X[i][p] = gy[((img0 + img) * cOut + b*og + i) * ohw + q] for depth p = img * ohw + q. Depth runs
     * are split at image boundaries; full slivers gather one p across the w channels per vector.
     */
    record ImageRows(float[] gy, int img0, int cOut, int og, int ohw) implements GemmPacker {
        @Override public void pack(int b, int i0, int len, int p0, int kc, int w, float[] dst) {
            int[] idx = new int[L];
            for (int j = 0; j < L; j++) idx[j] = Math.min(j, w - 1) * ohw;
            for (int s = 0; s * w < len; s++) {
                int r0 = b * og + i0 + s * w, rows = Math.min(w, len - s * w), d = s * kc * w;
                for (int p = 0; p < kc; ) {
                    int q = p0 + p, img = q / ohw, qq = q % ohw, run = Math.min(kc - p, ohw - qq);
                    int base = ((img0 + img) * cOut + r0) * ohw + qq;
                    if (rows == w && w <= L) {
                        for (int t = 0; t < run; t++) FloatVector.fromArray(S, gy, base + t, idx, 0).intoArray(dst, d + (p + t) * w);
                    } else {
                        for (int r = 0; r < w; r++)
                            for (int t = 0; t < run; t++) dst[d + (p + t) * w + r] = r < rows ? gy[base + r * ohw + t] : 0f;
                    }
                    p += run;
                }
            }
        }
    }

    /**
     * Writes C rows (output channels of one image and group; base(b) = their first plane, planes ohw
     * apart) straight into NCHW output, adding the bias on the first depth block.
     */
    record ConvOut(float[] y, IntUnaryOperator base, int ohw, float[] bias, IntUnaryOperator biasOff) implements GemmWriter {
        @Override public void write(int b, int i0, int j0, int rows, int cols, float[] tile, boolean first) {
            SgemmKernel.mergeBias(tile, y, base.applyAsInt(b) + i0 * ohw + j0, ohw, rows, cols, first,
                    bias, bias == null ? 0 : biasOff.applyAsInt(b) + i0);
        }
    }

    /**
     * As {@link ConvOut} for C columns over output rows of padded width wp (column j is oy = j / wp,
     * ox = j % wp): columns with ox >= ow are dropped, the others are written in runs within a row.
     */
    record ConvOutPadded(float[] y, IntUnaryOperator base, int ohw, int ow, int wp, float[] bias, IntUnaryOperator biasOff)
            implements GemmWriter {
        @Override public void write(int b, int i0, int j0, int rows, int cols, float[] tile, boolean first) {
            int yb = base.applyAsInt(b) + i0 * ohw, bo = bias == null ? 0 : biasOff.applyAsInt(b) + i0;
            for (int c = 0; c < cols; ) {
                int j = j0 + c, oy = j / wp, ox = j % wp;
                if (ox >= ow) { c += wp - ox; continue; }
                int len = Math.min(cols - c, ow - ox);
                SgemmKernel.mergeBiasRun(tile, c, y, yb + oy * ow + ox, ohw, rows, len, first, bias, bo);
                c += len;
            }
        }
    }
}
