"""Reads a diffusers folder written by `diffuse export --format diffusers` with diffusers itself and reconstructs
images from an image folder with it (encode, posterior mode, decode), printing the mean PSNR: the Python side of
scripts/gpu-emoji.sh's export check (our `diffuse reconstruct` on the same images prints its own).

    python3 bench/vae_export_check.py EXPORTED_FOLDER IMAGE_FOLDER [--count 64]

Images are taken in name order (as diffuse reads a folder), RGBA composited on white, scaled to [-1, 1].
"""
import argparse
import os

import numpy as np
import torch
from PIL import Image
from diffusers import AutoencoderKL


def names(folder, count):
    # sorted by name, the order diffuse reads an image folder in
    return sorted(f for f in os.listdir(folder) if f.lower().endswith((".png", ".jpg", ".jpeg")))[:count]


def on_white(path):
    im = Image.open(path).convert("RGBA")
    flat = Image.alpha_composite(Image.new("RGBA", im.size, (255, 255, 255, 255)), im).convert("RGB")
    return np.asarray(flat, dtype=np.float32) / 127.5 - 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exported"); ap.add_argument("images"); ap.add_argument("--count", type=int, default=64)
    a = ap.parse_args()
    vae = AutoencoderKL.from_pretrained(a.exported).cuda().eval()
    x = torch.tensor(np.stack([on_white(os.path.join(a.images, f)) for f in names(a.images, a.count)]))
    x = x.permute(0, 3, 1, 2).cuda()
    with torch.no_grad():
        y = vae.decode(vae.encode(x).latent_dist.mode()).sample.clamp(-1, 1)
    mse = ((y - x) / 2).pow(2).flatten(1).mean(1)
    psnr = (-10 * torch.log10(mse)).mean().item()
    print(f"diffusers AutoencoderKL.from_pretrained({a.exported}): {len(x)} images, PSNR {psnr:.3f} dB (mean over images)")


if __name__ == "__main__":
    main()
