package dev.diffusion4j.models.text;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Embedding;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Module;

/** Token embedding plus a learned absolute position embedding (transformers' CLIPTextEmbeddings). */
public final class ClipTextEmbeddings extends Module {
    private final Embedding token, position;

    public ClipTextEmbeddings(ClipTextConfig c, Generator gen) {
        token = registerModule("token_embedding", new Embedding(c.vocabSize(), c.hiddenSize(), gen));
        position = registerModule("position_embedding", new Embedding(c.maxPositionEmbeddings(), c.hiddenSize(), gen));
        Init.normal(token.weight(), 0, 0.02 * c.initializerFactor(), gen);
        Init.normal(position.weight(), 0, 0.02 * c.initializerFactor(), gen);
    }

    /** ids [N, L] (i64) -> [N, L, D]; L at most max_position_embeddings. */
    @Override public Tensor forward(Tensor ids) {
        int l = ids.shape(1), max = position.numEmbeddings();
        if (l > max) throw new IllegalArgumentException(l + " tokens exceed the text model's " + max + " positions; tokenize with a max length of at most " + max);
        return token.forward(ids).add(position.weight().data().slice(0, 0, l));
    }
}
