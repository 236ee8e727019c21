"""Where the DDPM U-Net's GPU time goes in PyTorch (../shared/bench/ddpm_unet.py's model, step and sampling forward):
torch.profiler over a few sampling forwards (no grad, batch 256, t=500) and training steps after warm-up, eager or
torch.compile, kernels by total CUDA time, to set beside diffusion4j's -Ddiffusion4j.cuda.profile=gpu report of the
same work (scripts/gpu-run.sh profile)."""
import argparse, os, sys, torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ddpm_unet import UNet, CONFIGS

ap = argparse.ArgumentParser(); ap.add_argument("--cfg", default="cifar"); ap.add_argument("--batch", type=int, default=128)
ap.add_argument("--mode", default="bf16", choices=["tf32", "bf16", "bf16-compile"]); ap.add_argument("--iters", type=int, default=5)
ap.add_argument("--rows", type=int, default=25); ap.add_argument("--what", default="sample,train"); a = ap.parse_args()
torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True
dev = "cuda"; c = CONFIGS[a.cfg]; torch.manual_seed(0)
model = UNet(**c).to(dev); amp = a.mode.startswith("bf16")
fwd = torch.compile(model) if a.mode.endswith("compile") else model
abar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, device=dev), 0)
opt = torch.optim.Adam(model.parameters(), lr=2e-4)

def report(name, work, n):
    for _ in range(3): work()
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        for _ in range(n): work()
        torch.cuda.synchronize()
    ka = prof.key_averages()
    total = sum(e.device_time_total for e in ka if e.device_type == torch.autograd.DeviceType.CUDA)
    print(f"torch {a.cfg} {a.mode} {name}: CUDA kernel time per iteration {total / n / 1e3:.2f} ms over {n}", flush=True)
    print(ka.table(sort_by="cuda_time_total", row_limit=a.rows, max_name_column_width=100), flush=True)

if "sample" in a.what:
    model.eval(); sb = 256
    xs = torch.randn(sb, c["in_ch"], c["res"], c["res"], device=dev); ts = torch.full((sb,), 500, device=dev)
    def sample():
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp): fwd(xs, ts)
    report(f"sampling forward b{sb}", sample, a.iters)
if "train" in a.what:
    model.train(); x0 = torch.randn(a.batch, c["in_ch"], c["res"], c["res"], device=dev)
    def step():
        t = torch.randint(0, 1000, (a.batch,), device=dev); e = torch.randn_like(x0)
        al = abar[t][:, None, None, None]; xt = al.sqrt() * x0 + (1 - al).sqrt() * e
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            loss = F.mse_loss(fwd(xt, t).float(), e)
        opt.zero_grad(set_to_none=True); loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
    report(f"training step b{a.batch}", step, a.iters)
