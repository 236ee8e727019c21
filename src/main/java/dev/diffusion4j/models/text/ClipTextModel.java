package dev.diffusion4j.models.text;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.SafeTensorsException;
import dev.diffusion4j.io.SafeTensorsFile;
import dev.diffusion4j.nn.LayerNorm;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CLIP's text transformer with Hugging Face transformers' CLIPTextModel parameter names ("text_model.embeddings...",
 * "text_model.encoder.layers.N...", "text_model.final_layer_norm"): token and position embeddings, pre-norm blocks
 * under a causal mask, a final LayerNorm. Gives every position's hidden state (what cross-attention reads) and the
 * pooled state at the end-of-text token. The same class, with a small config, is the text encoder trained from
 * scratch ({@link ClipTextConfig#preset}).
 */
public final class ClipTextModel extends Module {
    /** A buffer older transformers versions saved with the weights; it holds 0..L-1 and is not needed. */
    static final String PREFIX = "text_model.";
    static final String POSITION_IDS = PREFIX + "embeddings.position_ids";

    /** last_hidden_state [N, L, D] and pooler_output [N, D]. */
    public record Output(Tensor lastHiddenState, Tensor pooled) {}

    private final ClipTextConfig config;
    private final Transformer textModel;

    public ClipTextModel(ClipTextConfig config, Generator gen) {
        this.config = config;
        textModel = registerModule("text_model", new Transformer(config, gen));
    }

    /** transformers' CLIPTextTransformer: embeddings, encoder, final_layer_norm. */
    static final class Transformer extends Module {
        final ClipTextEmbeddings embeddings;
        final ClipEncoder encoder;
        final LayerNorm finalLayerNorm;

        Transformer(ClipTextConfig c, Generator gen) {
            embeddings = registerModule("embeddings", new ClipTextEmbeddings(c, gen));
            encoder = registerModule("encoder", new ClipEncoder(c, gen));
            finalLayerNorm = registerModule("final_layer_norm", new LayerNorm(new int[] {c.hiddenSize()}, c.layerNormEps(), true));
        }

        @Override public Tensor forward(Tensor ids) {
            Tensor x = embeddings.forward(ids);
            return finalLayerNorm.forward(encoder.forward(x, CausalMask.of(ids.shape(1), x.device())));
        }
    }

    /** ids [N, L] (i64, on the model's device) -> last hidden state [N, L, D]. */
    @Override public Tensor forward(Tensor ids) {
        if (ids.rank() != 2) throw new IllegalArgumentException("text model input ids must be [N, L], got rank " + ids.rank());
        return textModel.forward(ids);
    }

    /** The last hidden state and the pooled output (the hidden state at each sequence's end-of-text position). */
    public Output run(Tensor ids) {
        Tensor last = forward(ids);
        int n = ids.shape(0), l = ids.shape(1), d = config.hiddenSize();
        long[] rows = new long[n];
        int[] pos = pooledPositions(ids.toLongArray(), n, l, config.eosTokenId());
        for (int i = 0; i < n; i++) rows[i] = (long) i * l + pos[i];
        Tensor pooled = last.reshape(n * l, d).indexSelect(0, Tensor.ofLongs(rows, n).to(last.device()));
        return new Output(last, pooled);
    }

    /**
     * Per sequence, where transformers reads the pooled output: with eos_token_id 2 (legacy configs) the first position
     * of the largest id (CLIP's end token has the largest id), otherwise the first position of eos_token_id (0 if absent).
     */
    static int[] pooledPositions(long[] ids, int n, int l, int eos) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 0; j < l; j++) {
                long id = ids[i * l + j];
                if (eos == 2 ? id > ids[i * l + best] : id == eos) { best = j; if (eos != 2) break; }
            }
            out[i] = best;
        }
        return out;
    }

    public ClipTextConfig config() { return config; }

    /** Writes dir/config.json and dir/model.safetensors, the layout CLIPTextModel.from_pretrained reads. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        config.write(dir.resolve("config.json"));
        StateDicts.saveModel(dir.resolve("model.safetensors"), this, Map.of("format", "pt"));
    }

    /** Loads a folder with config.json and model.safetensors (transformers' save_pretrained layout, or {@link #save}). */
    public static ClipTextModel load(Path dir) throws IOException {
        ClipTextModel m = new ClipTextModel(ClipTextConfig.read(dir.resolve("config.json")), new Generator(0));
        m.loadWeights(dir.resolve("model.safetensors"));
        return m;
    }

    /**
     * Loads weights by name, strictly: every parameter present with its shape and nothing else (the old position_ids
     * buffer excepted); the first mismatch is named before any data is read. Names may carry the "text_model." prefix
     * (transformers 4's save_pretrained, Stable Diffusion's text_encoder folders) or not (transformers 5 saves
     * CLIPTextModel without it).
     */
    public void loadWeights(Path file) throws IOException {
        LinkedHashMap<String, int[]> expected = new LinkedHashMap<>();
        stateDict().forEach((k, v) -> expected.put(k, v.shape()));
        String prefix;
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            prefix = f.shapes().keySet().stream().anyMatch(k -> k.startsWith(PREFIX)) ? "" : PREFIX;
            LinkedHashMap<String, int[]> actual = new LinkedHashMap<>();
            f.shapes().forEach((k, v) -> actual.put(prefix + k, v));
            actual.remove(POSITION_IDS);
            try {
                SafeTensors.checkShapes(expected, actual);
            } catch (SafeTensorsException e) {
                throw new SafeTensorsException(file, null, e.getMessage() + " (not the weights of this CLIP text model config?)");
            }
        }
        LinkedHashMap<String, Tensor> state = StateDicts.withPrefix(prefix, StateDicts.load(file));
        state.remove(POSITION_IDS);
        loadStateDict(state, true);
    }
}
