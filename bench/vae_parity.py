"""The PyTorch side of the autoencoder parity check and benchmark, against diffusers itself (run on the GPU machine
with the diffusers source on PYTHONPATH: PYTHONPATH=<diffusers>/src; see scripts/gpu-vae.sh).

  python3 bench/vae_parity.py parity --kind kl --out DIR [--size 256 --batch 2]
      DIR/model: a randomly initialised diffusers AutoencoderKL of Stable Diffusion's layout (block_out_channels
      128,256,512,512, 2 layers per block, 4 latent channels), written by save_pretrained; every parameter drawn
      (GroupNorm affine around 1 and 0, biases non-zero) so nothing is trivially zero or one.
      DIR/reference.safetensors: x (images in [-1, 1]); f32 (TF32 off): mode and logvar of encode(x).latent_dist,
      decoded = decode(mode); bf16 autocast: mode_bf16, logvar_bf16 and decoded_bf16 = decode(mode) under autocast.
  python3 bench/vae_parity.py parity --kind vq --out DIR [--size 64 --batch 2]
      the same for a small VQModel (block_out_channels 64,128, 3 latent channels, 256 codes of width 4, codebook
      drawn from N(0, 1)): latents = encode(x).latents (pre-quantisation), indices and quantized of quantize(latents),
      decoded_quantized = decode(quantized, force_not_quantize=True), decoded = decode(latents); bf16 versions too.
  python3 bench/vae_parity.py bench [--latent 64 --batches 1,8 --modes fp32,tf32,bf16]
      times decode of [B, 4, 64, 64] latents (512x512 images) with the SD layout: one JSON line per batch and mode.
The Java side is dev.diffusion4j.models.autoencoder.AutoencoderTorchParity and AutoencoderDecodeBench.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from safetensors_io import save  # noqa: E402  (torch only; no safetensors package needed for our own files)

from diffusers import AutoencoderKL, VQModel  # noqa: E402

SD_KL = dict(in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 4,
             up_block_types=["UpDecoderBlock2D"] * 4, block_out_channels=[128, 256, 512, 512], layers_per_block=2,
             act_fn="silu", latent_channels=4, norm_num_groups=32, sample_size=512, scaling_factor=0.18215)
SMALL_VQ = dict(in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 2,
                up_block_types=["UpDecoderBlock2D"] * 2, block_out_channels=[64, 128], layers_per_block=1,
                act_fn="silu", latent_channels=3, norm_num_groups=32, sample_size=64, num_vq_embeddings=256,
                vq_embed_dim=4)


def randomise(model, seed):
    """Draws every parameter so none sits at a trivial value: GroupNorm weights N(1, 0.2) and biases N(0, 0.2),
    other biases N(0, 0.05); conv and linear weights keep diffusers' (PyTorch default) init; a VQ codebook N(0, 1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.GroupNorm):
                module.weight.copy_(1 + 0.2 * torch.randn(module.weight.shape, generator=g))
                module.bias.copy_(0.2 * torch.randn(module.bias.shape, generator=g))
            elif isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)) and module.bias is not None:
                module.bias.copy_(0.05 * torch.randn(module.bias.shape, generator=g))
            elif isinstance(module, torch.nn.Embedding):
                module.weight.copy_(torch.randn(module.weight.shape, generator=g))


def parity(a):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(a.seed)
    model = AutoencoderKL(**SD_KL) if a.kind == "kl" else VQModel(**SMALL_VQ)
    randomise(model, a.seed)
    model = model.cuda().eval()
    os.makedirs(a.out, exist_ok=True)
    model.save_pretrained(os.path.join(a.out, "model"))
    g = torch.Generator().manual_seed(a.seed + 1)
    x = (torch.rand(a.batch, 3, a.size, a.size, generator=g) * 2 - 1).cuda()
    ref = dict(x=x)
    with torch.no_grad():
        for suffix, autocast in (("", False), ("_bf16", True)):
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
                if a.kind == "kl":
                    dist = model.encode(x).latent_dist
                    ref["mode" + suffix] = dist.mode().float()
                    ref["logvar" + suffix] = dist.logvar.float()
                    ref["decoded" + suffix] = model.decode(ref["mode"]).sample.float()
                else:
                    h = model.encode(x).latents
                    ref["latents" + suffix] = h.float()
                    quant, _, info = model.quantize(ref["latents"])
                    ref["indices" + suffix] = info[2].reshape(-1).long()
                    ref["quantized" + suffix] = quant.float()
                    ref["decoded_quantized" + suffix] = model.decode(ref["quantized"], force_not_quantize=True).sample.float()
                    ref["decoded" + suffix] = model.decode(ref["latents"]).sample.float()
    save({k: v.contiguous() for k, v in ref.items()}, os.path.join(a.out, "reference.safetensors"))
    print(json.dumps(dict(kind=a.kind, batch=a.batch, size=a.size, params=sum(p.numel() for p in model.parameters()),
                          torch=torch.__version__)))


def bench(a):
    model = AutoencoderKL(**SD_KL)
    randomise(model, 0)
    model = model.cuda().eval()
    for mode in a.modes.split(","):
        torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
        torch.backends.cudnn.allow_tf32 = mode == "tf32"
        for b in [int(s) for s in a.batches.split(",")]:
            z = torch.randn(b, 4, a.latent, a.latent, device="cuda")
            with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=mode == "bf16"):
                for _ in range(a.warmup):
                    model.decode(z)
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
                t0 = time.perf_counter()
                for _ in range(a.iters):
                    model.decode(z)
                torch.cuda.synchronize()
                dt = (time.perf_counter() - t0) / a.iters
            print(json.dumps(dict(side="torch", mode=mode, batch=b, latent=a.latent, ms_per_decode=round(dt * 1e3, 3),
                                  images_per_s=round(b / dt, 2), peak_mib=torch.cuda.max_memory_allocated() >> 20,
                                  torch=torch.__version__)), flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("parity")
    p.add_argument("--kind", choices=["kl", "vq"], default="kl")
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, default=None, help="image side (default 256 for kl, 64 for vq)")
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    b = sub.add_parser("bench")
    b.add_argument("--latent", type=int, default=64)
    b.add_argument("--batches", default="1,8")
    b.add_argument("--modes", default="fp32,tf32,bf16")
    b.add_argument("--warmup", type=int, default=3)
    b.add_argument("--iters", type=int, default=10)
    a = ap.parse_args()
    if a.cmd == "parity":
        if a.size is None:
            a.size = 256 if a.kind == "kl" else 64
        parity(a)
    else:
        bench(a)


if __name__ == "__main__":
    main()
