"""The DDPM recipe of the Fashion-MNIST quality table in PyTorch: ../shared/bench/ddpm_unet.py's fmnist U-Net, linear
betas (1e-4 .. 0.02, T = 1000), eps prediction, plain MSE, Adam with linear warmup then constant lr, gradient clipping
at 1.0, EMA with diffusion4j's warmup (decay min(d, (1+n)/(10+n))), random horizontal flips, unconditional; then DDIM
(eta 0, the even "ddimN" timesteps 0, T/N, ..., clipped x0) samples of the EMA weights written as PNGs for the Java
`diffuse fid` command. Mirrors `diffuse train ... --schedule linear --parameterization eps --weighting none
--lr-schedule constant --no-class-conditional` (see scripts/gpu-quality.sh).

  python3 bench/ddpm_fmnist_train.py --data FMNIST_IDX_DIR --images OUT_DIR --steps 1500 --seed 0 --precision bf16
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "shared", "bench")]
from ddpm_unet import CONFIGS, UNet  # noqa: E402


def read_idx_images(folder):
    for name in ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with (gzip.open if name.endswith(".gz") else open)(path, "rb") as f:
                data = f.read()
            n, h, w = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
            return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, 1, h, w)
    sys.exit(f"no train-images-idx3-ubyte(.gz) in {folder}")


def ddim_sample(model, abar, n, steps, shape, gen, dev):
    """DDIM, eta 0, over timesteps 0, T/steps, ..., with x0 clipped to [-1, 1] and eps re-derived from it; strict f32
    like `diffuse sample`."""
    T = abar.shape[0]
    ts = list(range(0, T, T // steps))
    x = torch.randn((n,) + shape, generator=gen, device=dev)
    for k in reversed(range(len(ts))):
        t = ts[k]
        a = abar[t]
        a_prev = abar[ts[k - 1]] if k > 0 else torch.tensor(1.0, device=dev)
        eps = model(x, torch.full((n,), t, device=dev)).float()
        x0 = ((x - (1 - a).sqrt() * eps) / a.sqrt()).clamp(-1, 1)
        eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x.clamp(-1, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--images", required=True, help="folder for the sample PNGs")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--sample-steps", type=int, default=50)
    ap.add_argument("--sample-batch", type=int, default=500)
    ap.add_argument("--precision", default="bf16", choices=["fp32", "tf32", "bf16"])
    a = ap.parse_args()

    dev = "cuda"
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = a.precision == "tf32"
    amp = a.precision == "bf16"
    torch.manual_seed(a.seed)
    data = torch.from_numpy(read_idx_images(a.data).astype(np.float32) / 127.5 - 1).to(dev)
    cfg = CONFIGS["fmnist"]
    model = UNet(**cfg).to(dev)
    ema = UNet(**cfg).to(dev)
    ema.load_state_dict(model.state_dict())
    ema.eval()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    abar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, device=dev, dtype=torch.float64), 0).float()
    gen = torch.Generator(device=dev).manual_seed(a.seed)
    t0 = time.time()
    perm, pos, losses = torch.randperm(len(data), device=dev, generator=gen), 0, []
    for step in range(a.steps):
        if pos + a.batch > len(data):
            perm, pos = torch.randperm(len(data), device=dev, generator=gen), 0
        x0 = data[perm[pos:pos + a.batch]]
        pos += a.batch
        flip = torch.rand(a.batch, device=dev, generator=gen) < 0.5
        x0 = torch.where(flip[:, None, None, None], x0.flip(3), x0)
        t = torch.randint(0, 1000, (a.batch,), device=dev, generator=gen)
        e = torch.randn(x0.shape, device=dev, generator=gen)
        ab = abar[t][:, None, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * e
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            loss = F.mse_loss(model(xt, t).float(), e)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for g in opt.param_groups:
            g["lr"] = a.lr * min(1.0, (step + 1) / a.warmup) if a.warmup else a.lr
        opt.step()
        d = min(a.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(pm, alpha=1 - d)
        if (step + 1) % 100 == 0:
            losses.append(float(loss))
    torch.cuda.synchronize()
    train_s = time.time() - t0

    from PIL import Image
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    os.makedirs(a.images, exist_ok=True)
    t1 = time.time()
    sgen = torch.Generator(device=dev).manual_seed(10_000 + a.seed)
    k = 0
    with torch.no_grad():
        while k < a.samples:
            n = min(a.sample_batch, a.samples - k)
            x = ddim_sample(ema, abar, n, a.sample_steps, (cfg["in_ch"], cfg["res"], cfg["res"]), sgen, dev)
            px = ((x + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).cpu().numpy()
            for i in range(n):
                Image.fromarray(px[i, 0]).save(os.path.join(a.images, f"{k + i:05d}.png"))
            k += n
    sample_s = time.time() - t1
    print(json.dumps(dict(impl="pytorch", recipe="ddpm", seed=a.seed, steps=a.steps, batch=a.batch, precision=a.precision,
                          train_s=round(train_s, 1), sample_s=round(sample_s, 1), samples=a.samples,
                          loss_last=losses[-1] if losses else None, torch=torch.__version__)))


if __name__ == "__main__":
    main()
