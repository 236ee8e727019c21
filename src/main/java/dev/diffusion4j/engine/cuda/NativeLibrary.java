package dev.diffusion4j.engine.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/** A loaded shared library: where it came from, and downcall handles into it. */
public record NativeLibrary(String name, Path path, SymbolLookup lookup) {

    private static final Linker LINKER = Linker.nativeLinker();

    /** A downcall handle for {@code symbol}; fails with a message naming the symbol and file. */
    public MethodHandle downcall(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment address = lookup.find(symbol).orElseThrow(() -> new CudaException(
                "symbol " + symbol + " not found in " + name + " (" + path + "): the library is too old or not the one expected"));
        return LINKER.downcallHandle(address, descriptor, options);
    }

    /** A handle for the first of {@code symbols} present, e.g. a versioned name then the legacy one. */
    public MethodHandle downcallFirst(FunctionDescriptor descriptor, String... symbols) {
        for (String s : symbols) {
            Optional<MemorySegment> a = lookup.find(s);
            if (a.isPresent()) return LINKER.downcallHandle(a.get(), descriptor);
        }
        throw new CudaException("none of the symbols " + String.join(", ", symbols) + " found in " + name + " (" + path + ")");
    }

    /** A handle, or null where the library lacks the symbol (optional features). */
    public MethodHandle downcallOrNull(String symbol, FunctionDescriptor descriptor) {
        return lookup.find(symbol).map(a -> LINKER.downcallHandle(a, descriptor)).orElse(null);
    }
}
