package dev.diffusion4j.train.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.models.autoencoder.AutoencoderConfig;
import dev.diffusion4j.models.autoencoder.AutoencoderPresets;
import dev.diffusion4j.models.autoencoder.VQModelConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;

/**
 * The autoencoders {@code diffuse train-autoencoder --preset NAME} can build, by name: each entry says which
 * regulariser its {@link Autoencoder.Encoding#regularization()} is (so the loss weighs it right) and how to build a
 * freshly initialised model from a generator. A run records the name, so resuming and decoding rebuild the same model.
 */
public final class AutoencoderFactory {
    /** What {@code Encoding.regularization()} returns: a KL divergence or a VQ codebook + commitment loss. */
    public enum Regularizer { KL, CODEBOOK }

    public record Entry(String name, Regularizer regularizer, Function<Generator, Autoencoder> builder) {}

    private static final Map<String, Entry> ENTRIES = new ConcurrentSkipListMap<>();

    static {   // the built-in presets; tests and library users may register more
        for (String n : AutoencoderPresets.names()) {
            AutoencoderConfig c = AutoencoderPresets.get(n);
            register(n, c instanceof VQModelConfig ? Regularizer.CODEBOOK : Regularizer.KL, c::build);
        }
    }

    private AutoencoderFactory() {}

    /** Adds (or replaces) the preset {@code name}. */
    public static void register(String name, Regularizer regularizer, Function<Generator, Autoencoder> builder) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("an autoencoder preset needs a name");
        ENTRIES.put(name, new Entry(name, regularizer, builder));
    }

    /** The preset {@code name}, or a message that lists the known ones. */
    public static Entry get(String name) {
        Entry e = ENTRIES.get(name);
        if (e == null)
            throw new IllegalArgumentException("unknown autoencoder preset '" + name + "'; known: "
                    + (ENTRIES.isEmpty() ? "(none registered)" : String.join(", ", ENTRIES.keySet())));
        return e;
    }

    public static Autoencoder build(String name, Generator gen) { return get(name).builder().apply(gen); }

    public static List<String> names() { return List.copyOf(ENTRIES.keySet()); }
}
