"""Writes a diffusers UNet2DModel folder the way older hub repositories (google/ddpm-*) ship them: weights as a PyTorch
pickle, diffusion_pytorch_model.bin, with diffusers' pre-0.14 attention names (query, key, value, proj_attn). Made from
the diffusers-written fixture ddpm_attn_tiny, so the Java test can compare the two loads.

  /usr/bin/python3 scripts/make_legacy_unet_bin.py src/test/resources/dev/diffusion4j/models/unet2d/ddpm_attn_tiny/model \
      src/test/resources/dev/diffusion4j/models/unet2d/ddpm_attn_tiny_bin

CI has no torch: the output is committed; this script is how it was made (torch 1.13).
"""
import os
import re
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import load  # noqa: E402  (the repository's one safetensors reader)

OLD = {"to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"}


def main(src, out):
    os.makedirs(out, exist_ok=True)
    shutil.copy(os.path.join(src, "config.json"), os.path.join(out, "config.json"))
    state = {}
    for k, v in load(os.path.join(src, "diffusion_pytorch_model.safetensors")).items():
        m = re.match(r"(.*\.attentions\.\d+\.)(to_q|to_k|to_v|to_out\.0)\.(weight|bias)$", k)
        state[m.group(1) + OLD[m.group(2)] + "." + m.group(3) if m else k] = torch.as_tensor(v)
    torch.save(state, os.path.join(out, "diffusion_pytorch_model.bin"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
