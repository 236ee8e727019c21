#!/usr/bin/python3
"""numpy (OpenBLAS) sgemm GFLOP/s in CpuBench's format: python3 bench/numpy_sgemm.py [n ...].

Run with Debian's python (/usr/bin/python3). OpenBLAS 0.3.21 does not recognise this CPU model
and falls back to its 'Prescott' (SSE3) kernel; set OPENBLAS_CORETYPE=SkylakeX (or Cooperlake)
for the AVX-512 kernels. The core in use is printed on the first line.
"""
import ctypes, sys, time
import numpy as np

def corename():
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode(), lib.openblas_get_num_threads()
    except (OSError, AttributeError):
        return "unknown", -1

def median_ms(f, repeats=9, warmup_s=3.0):
    end = time.perf_counter() + warmup_s
    i = 0
    while i < 20 or time.perf_counter() < end:
        f(); i += 1
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1e3)
    ts.sort()
    return ts[repeats // 2], ts[0]

def report(what, ms, flops):
    med, best = ms
    print(f"{what} median_ms={med:.3f} gflops={flops / med / 1e6:.1f} best_ms={best:.3f} best_gflops={flops / best / 1e6:.1f}")

def main():
    sizes = [int(a) for a in sys.argv[1:]] or [256, 512, 1024, 2048]
    core, threads = corename()
    print(f"# numpy {np.__version__}, openblas core={core}, threads={threads}")
    rng = np.random.default_rng(1)
    for n in sizes:
        a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        c = np.empty((n, n), np.float32)
        report(f"sgemm n={n}", median_ms(lambda: np.matmul(a, b, out=c)), 2.0 * n**3)

if __name__ == "__main__":
    main()
