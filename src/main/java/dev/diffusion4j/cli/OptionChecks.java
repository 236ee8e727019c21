package dev.diffusion4j.cli;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Checks option values against their allowed ranges before a command does any work. The first value out of range
 * ends the command as a usage error whose one line names the flag, its allowed range and the value given.
 */
final class OptionChecks {
    private final CommandSpec spec;

    OptionChecks(CommandSpec spec) { this.spec = spec; }

    OptionChecks atLeast(String flag, long value, long min) {
        if (value < min) throw fail(flag + " must be at least " + min + ", got " + value);
        return this;
    }

    OptionChecks between(String flag, long value, long min, long max) {
        if (value < min || value > max) throw fail(flag + " must be between " + min + " and " + max + ", got " + value);
        return this;
    }

    /** A finite number above 0. */
    OptionChecks positive(String flag, double value) {
        if (!(value > 0) || !Double.isFinite(value)) throw fail(flag + " must be a finite number above 0, got " + value);
        return this;
    }

    /** A finite number, 0 or more. */
    OptionChecks nonNegative(String flag, double value) {
        if (!(value >= 0) || !Double.isFinite(value)) throw fail(flag + " must be a finite number of at least 0, got " + value);
        return this;
    }

    /** A probability that leaves something over: [0, 1). */
    OptionChecks fraction(String flag, double value) {
        if (!(value >= 0 && value < 1)) throw fail(flag + " must be in [0, 1), got " + value);
        return this;
    }

    /** [0, 1], both ends included. */
    OptionChecks unitInterval(String flag, double value) {
        if (!(value >= 0 && value <= 1)) throw fail(flag + " must be in [0, 1], got " + value);
        return this;
    }

    /** One of a few names, compared without case. */
    OptionChecks oneOf(String flag, String value, List<String> allowed) {
        if (!allowed.contains(value.toLowerCase(Locale.ROOT))) throw fail(flag + " must be one of " + String.join(", ", allowed) + ", got '" + value + "'");
        return this;
    }

    /** Parses a value with the library's own parser; its refusal becomes a usage error naming the flag. */
    <T> T parse(String flag, String value, Function<String, T> parser) {
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw fail(flag + ": " + e.getMessage());
        }
    }

    /** A device name; a CUDA device on a machine without one is refused here, before any work. */
    Device device(String flag, String value) {
        Device d = parse(flag, value, Device::parse);
        if (d.isCuda() && !Backends.cudaAvailable())
            throw fail(flag + " " + value + ": no CUDA device is available here (use --device cpu, or auto to pick what is there)");
        return d;
    }

    /** A file to write: not an existing folder, and its nearest existing parent is a folder. */
    OptionChecks outputFile(String flag, Path file) {
        if (Files.isDirectory(file)) throw fail(flag + ": " + file + " is a folder; give the path of a file to write");
        return writableParent(flag, file.toAbsolutePath().getParent());
    }

    /** A folder to write into (created if missing): not an existing file, nor under one. */
    OptionChecks outputFolder(String flag, Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir))
            throw fail(flag + ": " + dir + " is an existing file, not a folder; give a folder (it is created if missing)");
        return writableParent(flag, dir.toAbsolutePath().getParent());
    }

    private OptionChecks writableParent(String flag, Path parent) {
        for (Path p = parent; p != null; p = p.getParent()) {
            if (Files.isDirectory(p)) return this;
            if (Files.exists(p)) throw fail(flag + ": cannot write under " + p + ", which is a file, not a folder");
        }
        return this;
    }

    /** A rule between options; {@code message} names the flags involved. */
    OptionChecks require(boolean ok, String message) {
        if (!ok) throw fail(message);
        return this;
    }

    /** --eta is DDIM's noise level: given with another sampler it would be ignored in silence, so it is refused. */
    OptionChecks etaOnlyWithDdim(String sampler) {
        boolean given = spec.commandLine().getParseResult().hasMatchedOption("--eta");
        return require(!given || "ddim".equalsIgnoreCase(sampler),
                "--eta applies to the ddim sampler only; this would sample with " + sampler + " (add --sampler ddim, or drop --eta)");
    }

    /** Refuses {@code option} if the user gave it: it only works with another option that is off, and would be ignored in silence. */
    OptionChecks absent(String option, String message) {
        return require(!spec.commandLine().getParseResult().hasMatchedOption(option), message);
    }

    ParameterException fail(String message) { return new ParameterException(spec.commandLine(), message); }
}
