package dev.diffusion4j.models.text;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@link TextEncoder} made of a {@link ClipTokenizer} and a {@link ClipTextModel}: prompts are padded to the
 * tokenizer's max length (at most the model's positions) and the model's last hidden state is the context.
 */
public final class ClipTextEncoder implements TextEncoder {
    private final ClipTokenizer tokenizer;
    private final ClipTextModel model;

    public ClipTextEncoder(ClipTokenizer tokenizer, ClipTextModel model) {
        ClipTextConfig c = model.config();
        if (tokenizer.vocabSize() > c.vocabSize())
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize() + " tokens but the text model only " + c.vocabSize() + " embeddings");
        this.tokenizer = tokenizer.maxLength() > c.maxPositionEmbeddings() ? tokenizer.withMaxLength(c.maxPositionEmbeddings()) : tokenizer;
        this.model = model;
    }

    /** A new, randomly initialised encoder of a preset (text-tiny, text-small) over the vocabulary in vocabDir. */
    public static ClipTextEncoder fromScratch(Path vocabDir, String preset, Generator gen) throws IOException {
        ClipTokenizer t = ClipTokenizer.load(vocabDir);
        return new ClipTextEncoder(t, new ClipTextModel(ClipTextConfig.preset(preset, t), gen));
    }

    /**
     * Loads a folder holding a tokenizer (vocab.json, merges.txt; also looked for in ../tokenizer, the diffusers layout)
     * and a model (config.json, model.safetensors).
     */
    public static ClipTextEncoder load(Path dir) throws IOException {
        Path vocab = Files.exists(dir.resolve("vocab.json")) ? dir : dir.resolveSibling("tokenizer");
        return new ClipTextEncoder(ClipTokenizer.load(vocab), ClipTextModel.load(dir));
    }

    @Override public Tensor encode(List<String> prompts) {
        Device device = model.parameters().getFirst().device();
        return model.forward(tokenizer.encodeBatch(prompts).to(device));
    }

    @Override public int contextDim() { return model.config().hiddenSize(); }
    @Override public int maxLength() { return tokenizer.maxLength(); }

    public ClipTokenizer tokenizer() { return tokenizer; }
    public ClipTextModel model() { return model; }
}
