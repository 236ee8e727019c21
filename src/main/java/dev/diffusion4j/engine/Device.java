package dev.diffusion4j.engine;

import java.util.Locale;

/** Where a tensor lives: the CPU or one CUDA device. */
public record Device(Kind kind, int index) {
    public enum Kind { CPU, CUDA }

    public static final Device CPU = new Device(Kind.CPU, 0);

    public static Device cuda(int index) { return new Device(Kind.CUDA, index); }

    public boolean isCuda() { return kind == Kind.CUDA; }

    /** Parses "cpu", "cuda", "cuda:1" or "auto" (CUDA when a usable device is present, else CPU). */
    public static Device parse(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        if (v.equals("cpu")) return CPU;
        if (v.equals("auto")) return Backends.cudaAvailable() ? cuda(0) : CPU;
        if (v.equals("cuda")) return cuda(0);
        if (v.startsWith("cuda:")) {
            try { return cuda(Integer.parseInt(v.substring(5))); } catch (NumberFormatException e) { /* fall through */ }
        }
        throw new IllegalArgumentException("unknown device '" + s + "': use cpu, cuda, cuda:N or auto");
    }

    @Override public String toString() { return kind == Kind.CPU ? "cpu" : "cuda:" + index; }
}
