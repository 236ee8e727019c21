package dev.diffusion4j.cli;

import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.StoreType;
import dev.diffusion4j.io.torch.WeightsFiles;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code diffuse convert}: a PyTorch checkpoint (or a safetensors file) to safetensors, without Python. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a PyTorch checkpoint (.pt/.pth/.bin/.ckpt, zip or legacy format) to safetensors, without Python.",
                "The checkpoint is read by a restricted reader that never runs code from the file: only tensors, dicts, lists,"
                        + " numbers and strings are read, any other Python object is refused by name."})
public final class ConvertCommand implements Callable<Integer> {
    private static final long BAR_FROM_BYTES = 64L << 20;

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "The checkpoint to read (PyTorch zip or legacy format, or safetensors).")
    Path in;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT",
            description = "The safetensors file to write. Default: IN with its extension replaced by .safetensors.")
    Path out;

    @Option(names = "--key", paramLabel = "PATH",
            description = "Where the state dict sits inside the checkpoint, as dotted dict keys: e.g. ema, model, state_dict,"
                    + " model.state_dict. Default: the whole checkpoint (an error lists the keys when it is not a state dict).")
    String key;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "keep",
            description = "Store floating-point tensors as keep (as in the checkpoint), f32, bf16 or f16; integer tensors are"
                    + " always kept. Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        OptionChecks c = new OptionChecks(spec);
        c.oneOf("--dtype", dtype, List.of("keep", "f32", "bf16", "f16"));
        if (out == null) out = defaultOut(in);
        c.outputFile("OUT", out);
        if (!Files.isRegularFile(in)) throw new NoSuchFileException(in.toString(), null, "no such checkpoint file");
        c.require(!Files.exists(out) || !Files.isSameFile(in, out), "OUT " + out + " is the input file; give another name");

        WeightsFiles.Format format = WeightsFiles.detect(in);
        o.printf("reading %s (%s, %s)%n", in, describe(format), size(Files.size(in)));
        o.flush();
        Map<String, RawTensor> tensors;
        ProgressBar[] bar = {null};
        boolean large = Files.size(in) >= BAR_FROM_BYTES;
        try {
            // a bar only where reading takes a while; small files finish before it would draw
            tensors = WeightsFiles.read(in, key, (done, total) -> {
                if (!large) return;
                if (bar[0] == null) bar[0] = new ProgressBar(System.out, "tensors", total, "tensors");
                bar[0].step(1);
            });
        } finally {
            if (bar[0] != null) bar[0].close();
        }
        StoreType target = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> StoreType.F32;
            case "bf16" -> StoreType.BF16;
            case "f16" -> StoreType.F16;
            default -> null;
        };
        if (target != null) tensors = WeightsFiles.castFloats(tensors, target);

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("source", in.getFileName().toString());
        if (key != null) meta.put("key", key);
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent); // e.g. a cache folder that does not exist yet
        SafeTensors.write(out, tensors, meta);

        long params = 0, others = 0;
        Map<StoreType, Integer> byType = new EnumMap<>(StoreType.class);
        for (RawTensor t : tensors.values()) {
            if (t.type().isFloatingPoint()) params += t.numel();
            else others += t.numel();
            byType.merge(t.type(), 1, Integer::sum);
        }
        StringBuilder types = new StringBuilder();
        byType.forEach((t, n) -> types.append(types.isEmpty() ? "" : ", ").append(n).append(' ').append(t));
        o.printf(Locale.ROOT, "wrote %s: %d tensors (%s), %,d parameters%s, %s%n", out, tensors.size(), types, params,
                others > 0 ? String.format(Locale.ROOT, " and %,d integer values", others) : "", size(Files.size(out)));
        o.flush();
        return 0;
    }

    static Path defaultOut(Path in) {
        String name = in.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return in.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".safetensors");
    }

    private static String describe(WeightsFiles.Format f) {
        return switch (f) {
            case TORCH_ZIP -> "PyTorch zip checkpoint";
            case TORCH_LEGACY -> "PyTorch legacy checkpoint";
            case TORCH_TAR -> "PyTorch tar checkpoint";
            case SAFETENSORS -> "safetensors";
            case UNKNOWN -> "unknown format";
        };
    }

    private static String size(long bytes) {
        if (bytes < 1024) return bytes + " bytes";
        if (bytes < 1 << 20) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1 << 30) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1 << 30));
    }
}
