"""Where a DiT training step's (or, with --what sample, a no-grad sampling forward's at t = 500, batch --batch) GPU time goes in PyTorch eager (../shared/bench/dit.py's step, same model and loss):
torch.profiler over a few steps after warm-up, kernels by total CUDA time, to set beside diffusion4j's
-Ddiffusion4j.cuda.profile=gpu report of the same step (scripts/gpu-dit.sh profile)."""
import argparse, os, sys, torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dit import make

ap = argparse.ArgumentParser(); ap.add_argument("--cfg", default="S/2"); ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--mode", default="tf32", choices=["tf32", "bf16", "bf16-compile"]); ap.add_argument("--steps", type=int, default=5)
ap.add_argument("--rows", type=int, default=30); ap.add_argument("--what", default="train", choices=["train", "sample"])
a = ap.parse_args()
torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True
dev = "cuda"; m = make(a.cfg, 32, 4).to(dev); opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=0)
fwd = torch.compile(m) if a.mode == "bf16-compile" else m   # the model compiled as dit.py compiles it
x = torch.randn(a.batch, 4, 32, 32, device=dev); y = torch.randint(0, 1000, (a.batch,), device=dev)
def step():
    t = torch.randint(0, 1000, (a.batch,), device=dev); e = torch.randn_like(x)
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=a.mode.startswith("bf16")):
        loss = F.mse_loss(fwd(x + e, t, y)[:, :4].float(), e)
    opt.zero_grad(set_to_none=True); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
def sample():   # dit.py's sampling forward
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=a.mode.startswith("bf16")):
        fwd(x, torch.full((a.batch,), 500, device=dev), y)
if a.what == "sample": m.eval(); step = sample
for _ in range(5): step()
torch.cuda.synchronize()
with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
    for _ in range(a.steps): step()
    torch.cuda.synchronize()
ka = prof.key_averages()
total = sum(e.device_time_total for e in ka if e.device_type == torch.autograd.DeviceType.CUDA)
print(f"torch {a.cfg} {a.mode} b{a.batch} {a.what}: CUDA kernel time per step {total / a.steps / 1e3:.2f} ms over {a.steps} steps")
print(ka.table(sort_by="cuda_time_total", row_limit=a.rows, max_name_column_width=90))
