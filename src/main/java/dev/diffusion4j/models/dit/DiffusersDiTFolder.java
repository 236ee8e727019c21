package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.StoreType;
import dev.diffusion4j.models.DiT;
import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A diffusers DiT folder (config.json + diffusion_pytorch_model.safetensors, or its fp16 variant) in and out.
 * {@link #load} reads one strictly into a {@link DiffusersDiT}: unsupported options are refused together before any
 * weight is read, and a missing or unexpected weight or a wrong shape ends in one message naming the first.
 * {@link #export} writes a diffusion4j {@link DiT} as a DiTTransformer2DModel folder: the shared timestep and label
 * embedders copied into every block, q/k/v cut out of qkv, the reference's names mapped onto diffusers'. The exported
 * model computes what the DiT computes except for diffusers' timestep frequencies (shift 1; see docs/dit.md).
 */
public final class DiffusersDiTFolder {
    private DiffusersDiTFolder() {}

    /** A loaded folder: the network (on the CPU, in eval mode) and the config.json it was built from. */
    public record Loaded(DiffusersDiT model, DiffusersDiTConfig config) {}

    /** Whether dir holds a diffusers DiT's config.json (DiTTransformer2DModel, or Transformer2DModel with norm_type ada_norm_zero). */
    public static boolean isDiTFolder(Path dir) {
        try {
            Map<String, Object> m = ConfigJson.readObject(dir.resolve(DiffusersFolder.CONFIG));
            Object name = m.get("_class_name");
            return DiffusersDiTConfig.CLASS.equals(name) || DiffusersDiTConfig.isLegacy(name) && "ada_norm_zero".equals(m.get("norm_type"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Loads a DiT folder (the transformer folder of a DiTPipeline, or a pipeline folder holding one under transformer/). */
    public static Loaded load(Path dir) throws IOException {
        if (!Files.isRegularFile(dir.resolve(DiffusersFolder.CONFIG)) && Files.isDirectory(dir.resolve("transformer"))) dir = dir.resolve("transformer");
        Path configFile = DiffusersFolder.configFile(dir, "DiT");
        DiffusersDiTConfig cfg = DiffusersDiTConfig.read(configFile);
        boolean legacy = DiffusersDiTConfig.isLegacy(ConfigJson.readObject(configFile).get("_class_name"));
        DiffusersDiT m;
        try {
            m = new DiffusersDiT(cfg, legacy, new Generator(0));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configFile + ": " + e.getMessage(), e);
        }
        DiffusersFolder.loadWeights(DiffusersFolder.weightsFile(dir, "DiT"), m);
        m.eval();
        return new Loaded(m, cfg);
    }

    /**
     * Writes dit as a DiTTransformer2DModel folder (config.json + weights; f16 under the fp16 variant's name when fp16)
     * and returns the DiffusersDiT that folder holds, for measuring how far it is from dit.
     */
    public static DiffusersDiT export(DiT dit, Path dir, boolean fp16) throws IOException {
        DiffusersDiTConfig cfg = DiffusersDiTConfig.of(dit.config());
        Map<String, Tensor> state = exportedState(dit);
        Files.createDirectories(dir);
        cfg.write(dir.resolve(DiffusersFolder.CONFIG));
        StateDicts.save(dir.resolve(fp16 ? DiffusersFolder.WEIGHTS_FP16 : DiffusersFolder.WEIGHTS), state, Map.of("format", "pt"), fp16 ? StoreType.F16 : null);
        DiffusersDiT m = new DiffusersDiT(cfg, false, new Generator(0));
        m.loadStateDict(fp16 ? StateDicts.load(dir.resolve(DiffusersFolder.WEIGHTS_FP16)) : state, true);
        m.eval();
        return m;
    }

    /**
     * dit's weights under diffusers' names. diffusers recomputes the position table with the column in the first D/2
     * channels; a DiT built here holds the table with the row first, which is the same table with the two halves of
     * the token channels swapped. So for such a DiT every weight that reads or writes token channels is permuted by
     * that swap (exactly: LayerNorm without affine, attention and the MLP do not care about the channels' order).
     * A DiT holding the column-first table (loaded from the reference's checkpoint) is copied unpermuted; any other table
     * is refused.
     */
    static Map<String, Tensor> exportedState(DiT dit) {
        DiTConfig c = dit.config();
        Map<String, Tensor> s = new LinkedHashMap<>();
        dit.stateDict().forEach((k, v) -> s.put(k, v.to(Device.CPU)));
        int d = c.hiddenSize();
        int[] perm = channelOrder(s.get("pos_embed"), d, c.gridSize());
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("pos_embed.proj.weight", rows(s.get("x_embedder.proj.weight"), perm, 1));
        out.put("pos_embed.proj.bias", rows(s.get("x_embedder.proj.bias"), perm, 1));
        for (int i = 0; i < c.depth(); i++) {
            String b = "blocks." + i + ".", o = "transformer_blocks." + i + ".";
            out.put(o + "norm1.emb.timestep_embedder.linear_1.weight", s.get("t_embedder.mlp.0.weight"));
            out.put(o + "norm1.emb.timestep_embedder.linear_1.bias", s.get("t_embedder.mlp.0.bias"));
            out.put(o + "norm1.emb.timestep_embedder.linear_2.weight", s.get("t_embedder.mlp.2.weight"));
            out.put(o + "norm1.emb.timestep_embedder.linear_2.bias", s.get("t_embedder.mlp.2.bias"));
            out.put(o + "norm1.emb.class_embedder.embedding_table.weight", s.get("y_embedder.embedding_table.weight"));
            out.put(o + "norm1.linear.weight", rows(s.get(b + "adaLN_modulation.1.weight"), perm, 6));
            out.put(o + "norm1.linear.bias", rows(s.get(b + "adaLN_modulation.1.bias"), perm, 6));
            Tensor qkvW = s.get(b + "attn.qkv.weight"), qkvB = s.get(b + "attn.qkv.bias");
            String[] names = {"to_q", "to_k", "to_v"};
            for (int j = 0; j < 3; j++) {
                out.put(o + "attn1." + names[j] + ".weight", columns(qkvW.slice(0, j * d, (j + 1) * d), perm));
                out.put(o + "attn1." + names[j] + ".bias", qkvB.slice(0, j * d, (j + 1) * d).contiguous());
            }
            out.put(o + "attn1.to_out.0.weight", rows(s.get(b + "attn.proj.weight"), perm, 1));
            out.put(o + "attn1.to_out.0.bias", rows(s.get(b + "attn.proj.bias"), perm, 1));
            out.put(o + "ff.net.0.proj.weight", columns(s.get(b + "mlp.fc1.weight"), perm));
            out.put(o + "ff.net.0.proj.bias", s.get(b + "mlp.fc1.bias"));
            out.put(o + "ff.net.2.weight", rows(s.get(b + "mlp.fc2.weight"), perm, 1));
            out.put(o + "ff.net.2.bias", rows(s.get(b + "mlp.fc2.bias"), perm, 1));
        }
        out.put("proj_out_1.weight", rows(s.get("final_layer.adaLN_modulation.1.weight"), perm, 2));
        out.put("proj_out_1.bias", rows(s.get("final_layer.adaLN_modulation.1.bias"), perm, 2));
        out.put("proj_out_2.weight", columns(s.get("final_layer.linear.weight"), perm));
        out.put("proj_out_2.bias", s.get("final_layer.linear.bias"));
        return out;
    }

    /** The token-channel order of diffusers' table in terms of this table's: the identity, or the two halves swapped. */
    static int[] channelOrder(Tensor table, int d, int grid) {
        float[] t = table.toFloatArray();
        int[] perm = new int[d];
        if (close(t, PositionTable.sinCos2d(d, grid, true, 1))) {
            for (int i = 0; i < d; i++) perm[i] = i;
        } else if (close(t, PositionTable.sinCos2d(d, grid, false, 1))) {
            for (int i = 0; i < d; i++) perm[i] = (i + d / 2) % d;
        } else {
            throw new IllegalArgumentException("this DiT's pos_embed is neither the row-first sin-cos table diffusion4j builds nor the released "
                    + "DiT's column-first one; diffusers recomputes the table, so this model cannot be exported to it");
        }
        return perm;
    }

    private static boolean close(float[] a, double[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-5) return false;
        return true;
    }

    /** Rows of w (a weight [chunks*D, ...] or a bias [chunks*D]) permuted within each of the chunks: row k*D + i takes k*D + perm[i]. */
    static Tensor rows(Tensor w, int[] perm, int chunks) {
        int d = perm.length, n = w.shape(0);
        if (n != chunks * d) throw new IllegalStateException("expected " + chunks * d + " rows, got " + n);
        int width = (int) (w.numel() / n);
        float[] a = w.toFloatArray(), o = new float[a.length];
        for (int k = 0; k < chunks; k++)
            for (int i = 0; i < d; i++) System.arraycopy(a, (k * d + perm[i]) * width, o, (k * d + i) * width, width);
        return Tensor.of(o, w.shape());
    }

    /** Columns of a weight [out, D] permuted: column i takes perm[i]. */
    static Tensor columns(Tensor w, int[] perm) {
        int d = perm.length, n = w.shape(0);
        if (w.shape(1) != d) throw new IllegalStateException("expected " + d + " columns, got " + w.shape(1));
        float[] a = w.toFloatArray(), o = new float[a.length];
        for (int r = 0; r < n; r++) for (int i = 0; i < d; i++) o[r * d + i] = a[r * d + perm[i]];
        return Tensor.of(o, w.shape());
    }
}
