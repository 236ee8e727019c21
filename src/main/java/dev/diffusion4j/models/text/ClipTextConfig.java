package dev.diffusion4j.models.text;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CLIP's text transformer in Hugging Face transformers' CLIPTextConfig terms: the same config.json keys and the same
 * defaults (CLIP ViT-B/32's text tower). {@link #read} is strict about every key that shapes the model and tolerates
 * transformers' bookkeeping keys ({@link #BOOKKEEPING}); {@link #write} gives a config.json transformers loads.
 *
 * @param hiddenAct         quick_gelu (x sigmoid(1.702 x), CLIP and Stable Diffusion 1.x), gelu (erf; SD 2.x),
 *                          gelu_new or gelu_pytorch_tanh (tanh approximation)
 * @param eosTokenId        where the pooled output is read: the first position holding it, or, when it is 2 (old
 *                          configs such as SD 1.x's, whose ids 0/1/2 were placeholders), the position of the largest id
 * @param attentionDropout  must be 0 (no attention dropout here; every released CLIP text model uses 0)
 * @param dropout           unused, as in transformers' CLIP text model
 * @param initializerFactor scales the initial weights of a model trained from scratch, as in transformers
 */
public record ClipTextConfig(
        @JsonProperty(defaultValue = "49408") int vocabSize,
        @JsonProperty(defaultValue = "512") int hiddenSize,
        @JsonProperty(defaultValue = "2048") int intermediateSize,
        @JsonProperty(defaultValue = "12") int numHiddenLayers,
        @JsonProperty(defaultValue = "8") int numAttentionHeads,
        @JsonProperty(defaultValue = "77") int maxPositionEmbeddings,
        @JsonProperty(defaultValue = "quick_gelu") String hiddenAct,
        @JsonProperty(defaultValue = "1e-5") double layerNormEps,
        @JsonProperty(defaultValue = "512") int projectionDim,
        @JsonProperty(defaultValue = "1") int padTokenId,
        @JsonProperty(defaultValue = "49406") int bosTokenId,
        @JsonProperty(defaultValue = "49407") int eosTokenId,
        @JsonProperty(defaultValue = "0.0") double attentionDropout,
        @JsonProperty(defaultValue = "0.0") double dropout,
        @JsonProperty(defaultValue = "0.02") double initializerRange,
        @JsonProperty(defaultValue = "1.0") double initializerFactor) {

    public static final String MODEL_TYPE = "clip_text_model";
    public static final List<String> ACTIVATIONS = List.of("quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh");

    /** Keys transformers writes into every config.json that do not change this model; read and ignored. */
    public static final Set<String> BOOKKEEPING = Set.of("_name_or_path", "architectures", "model_type", "torch_dtype", "dtype",
            "transformers_version", "_commit_hash", "_attn_implementation_autoset", "return_dict", "output_hidden_states",
            "output_attentions", "torchscript", "use_bfloat16", "tf_legacy_loss", "pruned_heads", "tie_word_embeddings",
            "chunk_size_feed_forward", "is_encoder_decoder", "is_decoder", "cross_attention_hidden_size", "add_cross_attention",
            "tie_encoder_decoder", "finetuning_task", "id2label", "label2id", "num_labels", "tokenizer_class", "prefix",
            "sep_token_id", "decoder_start_token_id", "task_specific_params", "problem_type", "max_length", "min_length",
            "do_sample", "early_stopping", "num_beams", "num_beam_groups", "diversity_penalty", "temperature", "top_k", "top_p",
            "typical_p", "repetition_penalty", "length_penalty", "no_repeat_ngram_size", "encoder_no_repeat_ngram_size",
            "bad_words_ids", "num_return_sequences", "output_scores", "return_dict_in_generate", "forced_bos_token_id",
            "forced_eos_token_id", "remove_invalid_values", "exponential_decay_length_penalty", "suppress_tokens",
            "begin_suppress_tokens");

    public ClipTextConfig {
        if (vocabSize < 1 || hiddenSize < 1 || intermediateSize < 1 || numHiddenLayers < 1 || numAttentionHeads < 1
                || maxPositionEmbeddings < 1 || projectionDim < 1)
            throw new IllegalArgumentException("CLIP text model sizes must be positive: vocab_size " + vocabSize + ", hidden_size " + hiddenSize
                    + ", intermediate_size " + intermediateSize + ", num_hidden_layers " + numHiddenLayers + ", num_attention_heads "
                    + numAttentionHeads + ", max_position_embeddings " + maxPositionEmbeddings + ", projection_dim " + projectionDim);
        if (hiddenSize % numAttentionHeads != 0)
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " cannot be split into " + numAttentionHeads + " attention heads");
        if (!ACTIVATIONS.contains(hiddenAct))
            throw new IllegalArgumentException("hidden_act '" + hiddenAct + "' is not supported; use one of " + String.join(", ", ACTIVATIONS));
        if (!(layerNormEps > 0)) throw new IllegalArgumentException("layer_norm_eps must be positive, got " + layerNormEps);
        if (attentionDropout != 0)
            throw new IllegalArgumentException("attention_dropout " + attentionDropout + " is not supported (no attention dropout here); set it to 0.0");
        if (!(initializerFactor > 0)) throw new IllegalArgumentException("initializer_factor must be positive, got " + initializerFactor);
    }

    public int headDim() { return hiddenSize / numAttentionHeads; }

    /**
     * A small CLIP-like text encoder to train from scratch over a tokenizer's vocabulary: {@code text-tiny} (2 layers,
     * width 64, 32 positions; CPU, short captions) or {@code text-small} (4 layers, width 256, 77 positions; GPU).
     */
    public static ClipTextConfig preset(String name, ClipTokenizer tokenizer) {
        int v = tokenizer.vocabSize(), pad = tokenizer.padId(), bos = tokenizer.bosId(), eos = tokenizer.eosId();
        return switch (name) {
            case "text-tiny" -> new ClipTextConfig(v, 64, 256, 2, 2, 32, "quick_gelu", 1e-5, 64, pad, bos, eos, 0, 0, 0.02, 1);
            case "text-small" -> new ClipTextConfig(v, 256, 1024, 4, 4, 77, "quick_gelu", 1e-5, 256, pad, bos, eos, 0, 0, 0.02, 1);
            default -> throw new IllegalArgumentException("unknown text encoder preset '" + name + "'; use one of " + String.join(", ", PRESETS));
        };
    }

    public static final List<String> PRESETS = List.of("text-tiny", "text-small");

    /** Reads a config.json (transformers' or ours); model_type, when given, must be clip_text_model. */
    public static ClipTextConfig read(Path file) {
        Map<String, Object> json = new LinkedHashMap<>(ConfigJson.readObject(file));
        Object type = json.get("model_type");
        if (type != null && !MODEL_TYPE.equals(type))
            throw new ConfigException(file.toString(), "model_type is '" + type + "', not '" + MODEL_TYPE + "': not a CLIP text model config"
                    + ("clip".equals(type) ? " (a full CLIP config: use its text_config)" : ""));
        json.keySet().removeAll(BOOKKEEPING);
        return ConfigJson.bind(json, ClipTextConfig.class, file.toString());
    }

    /** Writes config.json as transformers writes it for CLIPTextModel (so CLIPTextModel.from_pretrained loads the folder). */
    public void write(Path file) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("architectures", List.of("CLIPTextModel"));
        json.put("model_type", MODEL_TYPE);
        json.putAll(ConfigJson.toMap(this));
        AtomicFiles.writeString(file, Json.writePretty(json) + "\n");
    }
}
