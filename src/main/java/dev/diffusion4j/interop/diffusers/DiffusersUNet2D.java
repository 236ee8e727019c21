package dev.diffusion4j.interop.diffusers;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.io.StoreType;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.models.UNet2DConfig;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Our U-Net ({@link UNet}) as a diffusers {@code UNet2DModel} folder, or, text-conditioned, a {@code UNet2DConditionModel}
 * one: its config.json and its weights under diffusers' parameter names. The two compute the same function when: the first level keeps the base width (diffusers' conv_in
 * writes block_out_channels[0]); resampling is by strided conv / nearest + conv (diffusers has no average-pool
 * DownBlock2D); every attention block (the middle one included) has the same head width, or one head each; and the
 * model has no super-resolution input. A text-conditioned U-Net needs Stable Diffusion's attention layout
 * ({@link UNetConfig#transformerOnly}): its spatial transformers already carry diffusers' Transformer2DModel names, the
 * attended levels become CrossAttn*Block2D and the middle UNetMidBlock2DCrossAttn; attention_head_dim there is the
 * NUMBER of heads per level (diffusers' naming trap), so any head width is expressible. Our sinusoid is [sin, cos] with frequencies
 * 10000^(-i/(half - 1)): diffusers' flip_sin_to_cos false, freq_shift 1. The null label row of a class-conditional
 * model is the last of num_class_embeds = classes + 1, marked by {@link UNet2DConfig#NULL_CLASS_KEY} so that
 * {@code UNet2DFolder} reads back the run's class count and guides against that row.
 */
public final class DiffusersUNet2D {
    public static final String CONFIG = "config.json", WEIGHTS = "diffusion_pytorch_model.safetensors",
            WEIGHTS_FP16 = "diffusion_pytorch_model.fp16.safetensors";

    private DiffusersUNet2D() {}

    /** Null when UNet2DModel can express this U-Net exactly, else why not. */
    public static String unsupported(UNetConfig c) {
        if (c.contextDim() > 0 && !c.transformerOnly())
            return "each attention level runs a self-attention block before its spatial transformer; diffusers' CrossAttnDownBlock2D, "
                    + "CrossAttnUpBlock2D and UNetMidBlock2DCrossAttn hold the transformer alone (its attn1 is the self-attention). "
                    + "Train with --sd-unet for Stable Diffusion's layout, which exports as a UNet2DConditionModel";
        if (c.lowResChannels() > 0) return "it is a super-resolution stage (low_res_channels " + c.lowResChannels() + "); UNet2DModel has no noise-augmentation embedding";
        if (!c.convResample()) return "it resamples by average pooling (conv_resample false); UNet2DModel's down blocks downsample by strided conv";
        if (c.channelMult()[0] != 1) return "its first level widens to " + c.channelMult()[0] + "x the base channels; UNet2DModel's conv_in writes the first level's width";
        if (c.contextDim() == 0 && c.headChannels() == 0 && c.numHeads() > 1) {
            int width = -1;
            for (int ch : attentionWidths(c)) {
                int d = ch / c.numHeads();
                if (width >= 0 && d != width)
                    return c.numHeads() + " heads at every attention level give heads of " + width + " and " + d + " channels; UNet2DModel's attention_head_dim is one width";
                width = d;
            }
        }
        return null;
    }

    /** Channel counts of the attention blocks: the attended levels', then the middle's. */
    private static List<Integer> attentionWidths(UNetConfig c) {
        List<Integer> w = new ArrayList<>();
        int r = c.resolution();
        for (int m : c.channelMult()) {
            for (int a : c.attentionResolutions()) if (a == r) w.add(c.baseChannels() * m);
            r /= 2;
        }
        w.add(c.baseChannels() * c.channelMult()[c.channelMult().length - 1]);
        return w;
    }

    private static boolean attends(UNetConfig c, int level) {
        int r = c.resolution() >> level;
        for (int a : c.attentionResolutions()) if (a == r) return true;
        return false;
    }

    private static void check(UNetConfig c) {
        String why = unsupported(c);
        if (why != null) throw new IllegalArgumentException("this U-Net cannot be written as a diffusers " + className(c) + ": " + why);
    }

    /** UNet2DConditionModel for a text-conditioned U-Net, else UNet2DModel. */
    public static String className(UNetConfig c) { return c.contextDim() > 0 ? "UNet2DConditionModel" : "UNet2DModel"; }

    /** Heads of the attention at each level: what UNet2DConditionModel's attention_head_dim holds. */
    private static List<Integer> headsPerLevel(UNetConfig c) {
        List<Integer> heads = new ArrayList<>();
        for (int m : c.channelMult()) heads.add(c.headChannels() > 0 ? c.baseChannels() * m / c.headChannels() : c.numHeads());
        return heads;
    }

    /** UNet2DConditionModel's config.json for a text-conditioned U-Net in Stable Diffusion's layout. */
    private static Map<String, Object> conditionConfig(UNetConfig c) {
        int levels = c.channelMult().length;
        List<String> down = new ArrayList<>(), up = new ArrayList<>();
        List<Integer> widths = new ArrayList<>();
        for (int i = 0; i < levels; i++) {
            down.add(attends(c, i) ? "CrossAttnDownBlock2D" : "DownBlock2D");
            up.add(attends(c, levels - 1 - i) ? "CrossAttnUpBlock2D" : "UpBlock2D");
            widths.add(c.baseChannels() * c.channelMult()[i]);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_class_name", "UNet2DConditionModel");
        m.put("_diffusers_version", ModelIndex.DIFFUSERS_VERSION);
        m.put("sample_size", c.resolution());
        m.put("in_channels", c.inChannels());
        m.put("out_channels", c.outChannels());
        m.put("center_input_sample", false);
        m.put("flip_sin_to_cos", false);
        m.put("freq_shift", 1);
        m.put("down_block_types", down);
        m.put("mid_block_type", "UNetMidBlock2DCrossAttn");
        m.put("up_block_types", up);
        m.put("only_cross_attention", false);
        m.put("block_out_channels", widths);
        m.put("layers_per_block", c.numResBlocks());
        m.put("downsample_padding", 1);
        m.put("mid_block_scale_factor", 1);
        m.put("dropout", c.dropout());
        m.put("act_fn", "silu");
        m.put("norm_num_groups", c.normGroups());
        m.put("norm_eps", 1e-5);
        m.put("cross_attention_dim", c.contextDim());
        m.put("transformer_layers_per_block", 1);
        m.put("attention_head_dim", headsPerLevel(c));   // the number of heads, as diffusers reads it when num_attention_heads is null
        m.put("num_attention_heads", null);
        m.put("use_linear_projection", false);
        m.put("class_embed_type", null);
        classes(m, c);
        m.put("upcast_attention", false);
        m.put("resnet_time_scale_shift", c.scaleShift() ? "scale_shift" : "default");
        m.put("time_embedding_type", "positional");
        return m;
    }

    /** The config.json for this U-Net: UNet2DModel's, or UNet2DConditionModel's for a text-conditioned one. */
    public static Map<String, Object> config(UNetConfig c) {
        check(c);
        if (c.contextDim() > 0) return conditionConfig(c);
        int levels = c.channelMult().length;
        List<String> down = new ArrayList<>(), up = new ArrayList<>();
        List<Integer> widths = new ArrayList<>();
        for (int i = 0; i < levels; i++) {
            down.add(attends(c, i) ? "AttnDownBlock2D" : "DownBlock2D");
            up.add(attends(c, levels - 1 - i) ? "AttnUpBlock2D" : "UpBlock2D");
            widths.add(c.baseChannels() * c.channelMult()[i]);
        }
        Integer headDim = c.headChannels() > 0 ? Integer.valueOf(c.headChannels())
                : c.numHeads() == 1 ? null : attentionWidths(c).get(0) / c.numHeads();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_class_name", "UNet2DModel");
        m.put("_diffusers_version", ModelIndex.DIFFUSERS_VERSION);
        m.put("sample_size", c.resolution());
        m.put("in_channels", c.inChannels());
        m.put("out_channels", c.outChannels());
        m.put("center_input_sample", false);
        m.put("time_embedding_type", "positional");
        m.put("freq_shift", 1);
        m.put("flip_sin_to_cos", false);
        m.put("down_block_types", down);
        m.put("mid_block_type", "UNetMidBlock2D");
        m.put("up_block_types", up);
        m.put("block_out_channels", widths);
        m.put("layers_per_block", c.numResBlocks());
        m.put("mid_block_scale_factor", 1);
        m.put("downsample_padding", 1);
        m.put("downsample_type", "conv");
        m.put("upsample_type", "conv");
        m.put("dropout", c.dropout());
        m.put("act_fn", "silu");
        m.put("attention_head_dim", headDim);
        m.put("norm_num_groups", c.normGroups());
        // explicit: with scale-shift norm diffusers' middle block would otherwise drop its attention's group norm
        m.put("attn_norm_num_groups", c.normGroups());
        m.put("norm_eps", 1e-5);
        m.put("resnet_time_scale_shift", c.scaleShift() ? "scale_shift" : "default");
        m.put("add_attention", true);
        m.put("class_embed_type", null);
        classes(m, c);
        m.put("num_train_timesteps", null);
        return m;
    }

    /**
     * num_class_embeds = classes + 1 (the last row is our "no class"), and the key that tells our reader so: diffusers
     * drops keys starting with "_" when it builds the model, so without it the row would read back as a real class.
     */
    private static void classes(Map<String, Object> m, UNetConfig c) {
        m.put("num_class_embeds", c.numClasses() > 0 ? Integer.valueOf(c.numClasses() + 1) : null);
        if (c.numClasses() > 0) m.put(UNet2DConfig.NULL_CLASS_KEY, true);
    }

    private static final Map<String, String> RES = Map.of("n1", "norm1", "c1", "conv1", "t", "time_emb_proj", "n2", "norm2", "c2", "conv2", "skip", "conv_shortcut");

    /** Our weights under UNet2DModel's names (qkv split into to_q, to_k, to_v; 1x1 conv weights as linear ones). */
    public static LinkedHashMap<String, Tensor> stateDict(UNet model) {
        UNetConfig c = model.config();
        check(c);
        int blocks = c.numResBlocks();
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (var e : model.stateDict().entrySet()) {
            String[] p = e.getKey().split("\\.");
            Tensor v = e.getValue();
            switch (p[0]) {
                case "temb" -> out.put("time_embedding.linear_" + (p[1].equals("0") ? 1 : 2) + "." + p[2], v);
                case "label_emb" -> out.put("class_embedding." + p[1], v);
                case "cin" -> out.put("conv_in." + p[1], v);
                case "nout" -> out.put("conv_norm_out." + p[1], v);
                case "cout" -> out.put("conv_out." + p[1], v);
                case "down" -> {
                    int k = Integer.parseInt(p[1]), level = k / (blocks + 1), j = k % (blocks + 1);
                    String prefix = "down_blocks." + level + ".";
                    if (j == blocks) out.put(prefix + "downsamplers.0.conv." + p[4], v);
                    else block(out, prefix, j, p, v, c.transformerOnly());
                }
                case "up" -> {
                    int k = Integer.parseInt(p[1]), u = k / (blocks + 2), j = k % (blocks + 2);
                    String prefix = "up_blocks." + u + ".";
                    if (j == blocks + 1) out.put(prefix + "upsamplers.0.conv." + p[4], v);
                    else block(out, prefix, j, p, v, c.transformerOnly());
                }
                case "mid" -> {
                    int k = Integer.parseInt(p[1]);   // 0 and 2: ResBlocks, 1: attention
                    if (k == 1 && c.transformerOnly()) out.put("mid_block.attentions.0." + rest(p, 2), v);
                    else if (k == 1) attention(out, "mid_block.attentions.0.", rest(p, 2), v);
                    else out.put("mid_block.resnets." + (k / 2) + "." + RES.get(p[2]) + "." + p[3], v);
                }
                default -> throw new IllegalStateException("unexpected U-Net parameter " + e.getKey());
            }
        }
        return out;
    }

    /**
     * down.k.0.* (a ResBlock) and down.k.1.* (its attention: a self-attention, or in the transformer-only layout a spatial
     * transformer, already under Transformer2DModel's names) of entry j of a level.
     */
    private static void block(Map<String, Tensor> out, String prefix, int j, String[] p, Tensor v, boolean transformer) {
        if (p[2].equals("0")) out.put(prefix + "resnets." + j + "." + RES.get(p[3]) + "." + p[4], v);
        else if (transformer) out.put(prefix + "attentions." + j + "." + rest(p, 3), v);
        else attention(out, prefix + "attentions." + j + ".", p[3] + "." + p[4], v);
    }

    private static String rest(String[] p, int from) { return String.join(".", java.util.Arrays.copyOfRange(p, from, p.length)); }

    /** norm -> group_norm; qkv [3C, C, 1, 1] ([q | k | v], heads inside each) -> to_q, to_k, to_v; proj_out -> to_out.0. */
    private static void attention(Map<String, Tensor> out, String prefix, String name, Tensor v) {
        String[] p = name.split("\\.");
        switch (p[0]) {
            case "norm" -> out.put(prefix + "group_norm." + p[1], v);
            case "proj_out" -> out.put(prefix + "to_out.0." + p[1], p[1].equals("weight") ? v.reshape(v.shape(0), v.shape(1)) : v);
            case "qkv" -> {
                int ch = v.shape(0) / 3;
                String[] names = {"to_q", "to_k", "to_v"};
                for (int i = 0; i < 3; i++) {
                    Tensor part = v.slice(0, i * ch, (i + 1) * ch);
                    out.put(prefix + names[i] + "." + p[1], p[1].equals("weight") ? part.reshape(ch, v.shape(1)).contiguous() : part.contiguous());
                }
            }
            default -> throw new IllegalStateException("unexpected attention parameter " + name);
        }
    }

    /** Writes config.json and the weights into {@code dir}: f32, or f16 under diffusers' fp16 variant name. */
    public static void save(Path dir, UNet model, boolean fp16) throws IOException {
        Map<String, Object> cfg = config(model.config());
        LinkedHashMap<String, Tensor> state = stateDict(model);
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(CONFIG), Json.writePretty(cfg) + "\n");
        StateDicts.save(dir.resolve(fp16 ? WEIGHTS_FP16 : WEIGHTS), state, Map.of("format", "pt"), fp16 ? StoreType.F16 : null);
    }
}
