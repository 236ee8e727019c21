"""Converts pytorch-fid's FID Inception weights (pt_inception-2015-12-05-6726825d.pth, a PyTorch state dict) to
safetensors for diffusion4j's --features inception.

  wget https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth
  python3 scripts/convert_fid_inception.py pt_inception-2015-12-05-6726825d.pth \
      ~/.cache/diffusion4j/pt_inception-2015-12-05-6726825d.safetensors

Needs torch. The file is read with weights_only=True (tensors only, no code runs). Names are kept as they are
(Conv2d_1a_3x3.conv.weight, Mixed_5b.branch1x1.bn.running_var, ...); diffusion4j reads the ones up to pool3.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: convert_fid_inception.py pt_inception-2015-12-05-6726825d.pth OUT.safetensors")
    src, dst = sys.argv[1], sys.argv[2]
    state = torch.load(src, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or "Mixed_7c.branch_pool.conv.weight" not in state:
        sys.exit(f"{src} does not look like pytorch-fid's FID Inception state dict (no Mixed_7c.branch_pool.conv.weight)")
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    safetensors_io.save({k: v for k, v in state.items() if isinstance(v, torch.Tensor)}, dst,
                        {"source": os.path.basename(src), "format": "pytorch-fid-inception"})
    print(f"wrote {dst}: {len(state)} tensors")


if __name__ == "__main__":
    main()
