package dev.diffusion4j.train;

import dev.diffusion4j.data.DataLoader;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.nn.Dropout;
import dev.diffusion4j.nn.Module;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The random streams a trainer must put back for an exact resume: its own training generator and each dropout layer's
 * generator, by module name. Shared by every trainer (diffusion, autoencoder) so checkpoints record them one way.
 */
public final class RandomStreams {
    private final Generator training;
    private final Map<String, Dropout> dropouts = new LinkedHashMap<>();

    public RandomStreams(Generator training, Module model) {
        this.training = training;
        for (var e : model.namedModules().entrySet()) if (e.getValue() instanceof Dropout d) dropouts.put(e.getKey(), d);
    }

    /** The state.json of a checkpoint at this step: stream positions, the data loader's place and the running totals. */
    public TrainState capture(long step, DataLoader loader, long imagesSeen, double seconds) {
        Map<String, Long> drops = new LinkedHashMap<>();
        for (var e : dropouts.entrySet()) drops.put(e.getKey(), e.getValue().generator().offset());
        return new TrainState(step, training.offset(), drops, loader.epoch(), loader.position(), imagesSeen, seconds);
    }

    /** Puts every stream back where a checkpoint's state says it was. */
    public void restore(TrainState st) {
        training.setOffset(st.generatorOffset());
        for (var e : st.dropoutOffsets().entrySet()) {
            Dropout d = dropouts.get(e.getKey());
            if (d != null) d.generator().setOffset(e.getValue());
        }
    }
}
