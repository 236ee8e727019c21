#!/usr/bin/python3
"""PyTorch CPU conv2d forward/backward timings in CpuBench's format.

python3 bench/torch_conv.py [batch channels size [kernel]]   (default 32 128 32 3; pad kernel//2)
Two threads (torch.set_num_threads(2)), warm-up then the median of repeated runs.
"""
import sys, time
import torch

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
    nums = [int(a) for a in sys.argv[1:]] or [32, 128, 32]
    n, c, hw = nums[:3]
    k = nums[3] if len(nums) > 3 else 3
    torch.set_num_threads(2)
    print(f"# torch {torch.__version__}, threads={torch.get_num_threads()}, mkldnn={torch.backends.mkldnn.is_available()}")
    torch.manual_seed(0)
    x = torch.randn(n, c, hw, hw)
    w = torch.randn(c, c, k, k)
    gy = torch.randn(n, c, hw, hw)
    pad, ones, zeros = [k // 2, k // 2], [1, 1], [0, 0]
    flops = 2.0 * n * c * hw * hw * c * k * k
    tag = f"n={n} c={c} hw={hw} k={k}"
    bwd = torch.ops.aten.convolution_backward

    def fwd():
        with torch.no_grad():
            torch.nn.functional.conv2d(x, w, padding=k // 2)

    def bwd_data():
        bwd(gy, x, w, None, ones, pad, ones, False, zeros, 1, [True, False, False])

    def bwd_weight():
        bwd(gy, x, w, None, ones, pad, ones, False, zeros, 1, [False, True, False])

    xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()

    def fwd_bwd():  # what training does: autograd forward, then both gradients
        xg.grad = wg.grad = None
        torch.nn.functional.conv2d(xg, wg, padding=k // 2).backward(gy)

    median_ms(fwd_bwd)  # same warm-up as the Java side: everything once before timing
    for name, f, fl in (("fwd", fwd, flops), ("bwd_data", bwd_data, flops),
                        ("bwd_weight", bwd_weight, flops), ("fwd+bwd", fwd_bwd, 3 * flops)):
        report(f"conv2d {name} {tag}", median_ms(f), fl)

if __name__ == "__main__":
    main()
