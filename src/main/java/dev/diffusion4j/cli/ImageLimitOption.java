package dev.diffusion4j.cli;

import dev.diffusion4j.data.ImageLimits;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** {@code --max-image-pixels} for the commands that read image folders: how large a declared image may be before it is skipped. */
final class ImageLimitOption {
    @Option(names = "--max-image-pixels", paramLabel = "N",
            description = "Skip any image whose header declares more pixels than this, before decoding it (guards against decompression "
                    + "bombs). Default: 67108864 (8192x8192), or -D" + ImageLimits.PROPERTY + "=N.")
    Long maxImagePixels;

    /** Checks the value and applies it; call before any data is opened. */
    void apply(CommandSpec spec) {
        if (maxImagePixels == null) return;
        new OptionChecks(spec).atLeast("--max-image-pixels", maxImagePixels, 1);
        ImageLimits.setMaxPixels(maxImagePixels, "--max-image-pixels");
    }
}
