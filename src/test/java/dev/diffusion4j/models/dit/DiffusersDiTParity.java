package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.DiT;
import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.models.TensorDiff;
import dev.diffusion4j.nn.Parameter;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Java side of bench/diffusers_dit_parity.py.
 * <pre>
 * java -cp diffusion4j.jar:test-classes dev.diffusion4j.models.dit.DiffusersDiTParity load DIR cpu|cuda
 *     loads every DIR/NAME/model that diffusers saved and compares its outputs on DIR/NAME/inputs.safetensors with
 *     diffusers' (DIR/NAME/reference.safetensors: output_float32, and output_bfloat16 when present)
 * java ... DiffusersDiTParity export DIR cpu|cuda
 *     exports DiTs with every weight drawn (learned sigma, patch 2, a fresh model's row-first position table; the same
 *     with the released DiT's column-first table; no learned sigma, patch 4) to DIR/NAME/model, with inputs and
 *     java.safetensors (this side's forward of the exported folder in f32 and bf16, and of the DiT itself) for
 *     bench/diffusers_dit_parity.py reverse
 * </pre>
 * Prints one "ok" or "FAIL" line per comparison (bounds as in the script: f32 max rel 2e-3 and rel L2 1e-4, bf16 rel
 * L2 5e-2); exit status 1 when one fails.
 */
public final class DiffusersDiTParity {
    final List<String> lines = new ArrayList<>();
    boolean failed;

    public static void main(String[] args) throws IOException {
        if (args.length != 3 || !List.of("load", "export").contains(args[0]))
            throw new IllegalArgumentException("usage: DiffusersDiTParity load|export DIR DEVICE");
        DiffusersDiTParity p = new DiffusersDiTParity();
        Device device = Device.parse(args[2]);
        if (args[0].equals("load")) p.load(Path.of(args[1]), device);
        else p.export(Path.of(args[1]), device);
        p.lines.forEach(System.out::println);
        if (p.failed) System.exit(1);
    }

    void load(Path dir, Device device) throws IOException {
        List<Path> cases;
        try (Stream<Path> s = Files.list(dir)) {
            cases = s.filter(p -> Files.isDirectory(p.resolve("model"))).sorted().toList();
        }
        if (cases.isEmpty()) throw new IllegalArgumentException("no NAME/model folders in " + dir);
        for (Path c : cases) {
            DiffusersDiT m = DiffusersDiTFolder.load(c.resolve("model")).model();
            Map<String, Tensor> in = StateDicts.load(c.resolve("inputs.safetensors")), ref = StateDicts.load(c.resolve("reference.safetensors"));
            m.to(device);
            for (Precision precision : new Precision[] {Precision.FP32, Precision.BF16}) {
                Tensor expected = ref.get(precision == Precision.BF16 ? "output_bfloat16" : "output_float32");
                if (expected == null) continue;
                compare(c.getFileName() + " " + precision.id() + " on " + device + ": Java load of diffusers' save_pretrained vs diffusers",
                        forward(m, in, device, precision), expected, precision);
            }
        }
        Precision.FP32.applyMathMode();
    }

    void export(Path dir, Device device) throws IOException {
        record Case(String name, DiTConfig cfg, boolean columnFirst) {}
        List<Case> cases = List.of(new Case("ls_p2", new DiTConfig(4, 8, 2, 16, 2, 2, 4.0, 5, true), false),
                new Case("ls_p2_released_table", new DiTConfig(4, 8, 2, 16, 2, 2, 4.0, 5, true), true),
                new Case("p4", new DiTConfig(3, 8, 4, 32, 2, 4, 4.0, 7, false), false));
        int seed = 0;
        for (Case c : cases) {
            DiT dit = drawn(c.cfg(), c.columnFirst(), seed++);
            Path out = dir.resolve(c.name());
            DiffusersDiT exported = DiffusersDiTFolder.export(dit, out.resolve("model"), false);
            Map<String, Tensor> in = inputs(c.cfg(), seed++);
            StateDicts.save(out.resolve("inputs.safetensors"), in, Map.of());
            Map<String, Tensor> java = new LinkedHashMap<>();
            exported.to(device);
            dit.to(device);
            java.put("output_float32", forward(exported, in, device, Precision.FP32));
            java.put("output_bfloat16", forward(exported, in, device, Precision.BF16));
            java.put("dit_output", forward(dit, in, device, Precision.FP32));
            Precision.FP32.applyMathMode();
            StateDicts.save(out.resolve("java.safetensors"), java, Map.of());
            double[] e = TensorDiff.errors(java.get("output_float32"), java.get("dit_output"));
            lines.add(String.format(Locale.ROOT, "info %s: wrote %s; the exported model vs the DiT (timestep frequency shift): max rel %.2e, rel L2 %.2e",
                    c.name(), out.resolve("model"), e[0], e[1]));
        }
    }

    /** A DiT with every weight drawn (none zero, so every layer and gate matters) and the chosen position table. */
    static DiT drawn(DiTConfig cfg, boolean columnFirst, long seed) {
        DiT dit = new DiT(cfg, new Generator(seed));
        Generator g = new Generator(seed + 1000);
        for (Map.Entry<String, Parameter> e : dit.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            int[] s = p.data().shape();
            if (e.getKey().equals("pos_embed")) {
                if (columnFirst) p.copyFrom(Tensor.of(PositionTable.sinCos2d(cfg.hiddenSize(), cfg.gridSize(), true, 1), s).to(DType.F32));
                continue;
            }
            double std = e.getKey().contains("embedding_table") ? 0.5 : s.length >= 2 ? 0.7 / Math.sqrt(p.data().numel() / s[0]) : 0.05;
            p.copyFrom(Tensor.randn(g, s).mul(std));
        }
        return dit;
    }

    /** x, t (with 0 and 999) and labels (the first the "no class" label). */
    static Map<String, Tensor> inputs(DiTConfig cfg, long seed) {
        Generator g = new Generator(seed);
        int n = 3, k = cfg.numClasses();
        long[] t = {0, 1 + (long) (g.nextDouble() * 997), 999};
        long[] y = {k, (long) (g.nextDouble() * k), (long) (g.nextDouble() * k)};
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", Tensor.randn(g, n, cfg.inChannels(), cfg.resolution(), cfg.resolution()));
        in.put("t", Tensor.ofLongs(t, n));
        in.put("y", Tensor.ofLongs(y, n));
        return in;
    }

    static Tensor forward(DenoisingNetwork m, Map<String, Tensor> in, Device device, Precision precision) {
        precision.applyMathMode();
        m.eval();
        try (var g = GradMode.off(); var ac = precision.autocast()) {
            return m.forward(in.get("x").to(device), in.get("t").to(device), in.get("y").to(device)).to(Device.CPU).to(DType.F32);
        }
    }

    private void compare(String what, Tensor actual, Tensor reference, Precision precision) {
        double[] e = TensorDiff.errors(actual, reference);
        boolean ok = precision == Precision.BF16 ? e[1] < 5e-2 : e[0] < 2e-3 && e[1] < 1e-4;
        failed |= !ok;
        lines.add(String.format(Locale.ROOT, "%s %s: max rel %.2e, rel L2 %.2e", ok ? "ok" : "FAIL", what, e[0], e[1]));
    }
}
