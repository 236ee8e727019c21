package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.BinaryOp;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.ReduceOp;
import dev.diffusion4j.engine.UnaryOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backend's kernel families: each .cu file under kernels/ is compiled with common.cuh in
 * front of it, once per set of preprocessor defines that specialises it (an op, a type pair), and
 * the resulting kernels are remembered by name so a launch costs one map lookup (the KernelCache
 * below keys its memory and disk caches by source + options, so nothing compiles twice).
 */
final class CudaKernels {
    static final int BLOCK = 256;

    private final CudaContext context;
    private final int maxBlocks;
    private final Map<String, String> sources = new ConcurrentHashMap<>();
    private final Map<String, Kernel> kernels = new ConcurrentHashMap<>();

    CudaKernels(CudaContext context) {
        this.context = context;
        this.maxBlocks = context.properties().multiprocessors() * 32;
    }

    /** Kernel {@code function} of {@code family} (a .cu file name without extension) compiled with {@code defines}. */
    Kernel get(String family, String function, String... defines) {
        String key = family + '|' + String.join(",", defines) + '|' + function;
        Kernel k = kernels.get(key);
        if (k != null) return k;
        return kernels.computeIfAbsent(key, unused -> module(family, defines).kernel(function));
    }

    private CudaModule module(String family, String[] defines) {
        String source = sources.computeIfAbsent(family, CudaKernels::source);
        return context.kernels().compile(moduleName(family, defines), source, options(defines));
    }

    /** What NVRTC compiles for a family: common.cuh, then the family's file (line numbers restart for its messages). */
    static String source(String family) {
        return KernelCache.readResource("common.cuh") + "\n#line 1 \"" + family + ".cu\"\n" + KernelCache.readResource(family + ".cu");
    }

    static List<String> options(String... defines) {
        List<String> options = new ArrayList<>();
        for (String d : defines) options.add("-D" + d);
        return options;
    }

    static String moduleName(String family, String... defines) {
        return family + (defines.length == 0 ? "" : "[" + String.join(",", defines) + "]") + ".cu";
    }

    /** Compiles (or loads from the disk cache) every module, in parallel: first runs then pay seconds, not minutes. */
    int precompile() {
        List<Variant> all = allVariants();
        all.parallelStream().forEach(v -> module(v.family(), v.defines()));
        return all.size();
    }

    /** A family and one set of defines the backend compiles it with. */
    record Variant(String family, String... defines) {}

    /** Every module the backend can ask for (for checks that compile them all, and for warm-up). */
    static List<Variant> allVariants() {
        List<Variant> v = new ArrayList<>();
        for (UnaryOp op : UnaryOp.values()) v.add(new Variant("unary", "OP_" + op.name()));
        for (BinaryOp op : BinaryOp.values()) v.add(new Variant("binary", "OP_" + op.name()));
        for (ReduceOp op : ReduceOp.values()) v.add(new Variant("reduce", "OP_" + op.name()));
        for (DType a : DType.values())
            for (DType b : DType.values()) v.add(new Variant("copy", "SRC_T=" + cType(a), "DST_T=" + cType(b)));
        for (String f : List.of("fill", "select", "random", "index", "resample", "norm", "softmax", "optim")) v.add(new Variant(f));
        for (AttentionTiles t : AttentionTiles.ALL) v.add(new Variant("attention", t.defines()));
        for (int dp = 16; dp <= CudaAttention.TENSOR_CORE_MAX_HEAD_DIM; dp += 16)   // as an H100 or H200 takes them; smaller shared memories compile theirs at first use
            for (int rows : CudaAttention.forwardRowsFor(dp))
                v.add(new Variant("attention_mma", CudaAttention.mmaDefines(dp, CudaAttention.FORWARD_PIPELINE, CudaAttention.BACKWARD_PIPELINE, rows)));
        return v;
    }

    /** Blocks for a grid-stride loop over {@code n} items: enough to fill the device, never more than needed. */
    int grid(long n) {
        return (int) Math.max(1, Math.min(maxBlocks, (n + BLOCK - 1) / BLOCK));
    }

    /** Launches a 1-D grid-stride kernel over n items (nothing for n = 0). */
    void launch(Kernel k, long n, Object... args) {
        if (n <= 0) return;
        k.launch(Dim3.of(grid(n)), Dim3.of(BLOCK), 0, args);
    }

    /** Launches {@code blocks} blocks of BLOCK threads (capped at what fills the device; kernels loop over the rest). */
    void launchBlocks(Kernel k, long blocks, Object... args) {
        if (blocks <= 0) return;
        k.launch(Dim3.of((int) Math.min(maxBlocks, blocks)), Dim3.of(BLOCK), 0, args);
    }

    int multiprocessors() { return context.properties().multiprocessors(); }

    /**
     * Rows per chunk for kernels whose blocks each sum one chunk of {@code rows} rows into partials: the rows split into
     * {@code chunks} chunks (clamped to 1..rows), each at least one row.
     */
    static int rowsPerChunk(int rows, int chunks) {
        int c = Math.max(1, Math.min(rows, chunks));
        return Math.max(1, (rows + c - 1) / c);
    }

    /** How many chunks of {@code perChunk} rows cover {@code rows} (at least one). */
    static int chunks(int rows, int perChunk) { return Math.max(1, (rows + perChunk - 1) / perChunk); }

    /** The suffix kernels use for a storage type. */
    static String suffix(DType t) { return t.id(); }

    /** The C++ type name common.cuh gives a storage type. */
    static String cType(DType t) {
        return switch (t) {
            case F32 -> "float";
            case F64 -> "double";
            case BF16 -> "bf16";
            case F16 -> "half16";
            case I64 -> "i64";
            case I32 -> "int";
        };
    }

    /** Computing kernels take f32, bf16 or f64; everything else is refused with the fix. */
    static void requireCompute(DType t, String op) {
        if (t != DType.F32 && t != DType.BF16 && t != DType.F64)
            throw new IllegalArgumentException(op + " on CUDA computes in f32, bf16 or f64, not " + t.id() + "; convert with .to(DType.F32)");
    }
}
