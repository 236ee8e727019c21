#!/usr/bin/env python3
"""Reads the TensorBoard event files of a diffusion4j run with TensorBoard's own EventAccumulator and prints what it
finds: every scalar tag with its steps, and the image tags with their counts and sizes. Exits 1 if a folder holds no
events, or if a training folder lacks the loss curve or the sample grids.

Usage: python3 scripts/check_tensorboard.py RUN            (reads RUN/tensorboard/train and RUN/tensorboard/eval)
"""
import sys
from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ALL = {"scalars": 0, "images": 0, "tensors": 0}   # 0 = keep every point


def show(folder: Path) -> EventAccumulator:
    acc = EventAccumulator(str(folder), size_guidance=ALL)
    acc.Reload()
    tags = acc.Tags()
    print(f"== {folder}  (files: {sorted(p.name for p in folder.iterdir())})")
    for tag in sorted(tags["scalars"]):
        pts = acc.Scalars(tag)
        steps = [p.step for p in pts]
        print(f"scalar {tag}: {len(pts)} points, steps {steps[:6]}{' ...' if len(steps) > 6 else ''} last {steps[-1]} = {pts[-1].value:.6g}")
    for tag in sorted(tags["images"]):
        imgs = acc.Images(tag)
        print(f"image {tag}: {len(imgs)} images at steps {[i.step for i in imgs]}, last {imgs[-1].width}x{imgs[-1].height}, "
              f"{len(imgs[-1].encoded_image_string)} PNG bytes")
    return acc


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    root = Path(sys.argv[1]) / "tensorboard"
    if not root.is_dir():
        print(f"{root} does not exist: train with --tensorboard")
        return 1
    ok = True
    for sub in ("train", "eval"):
        folder = root / sub
        if not folder.is_dir():
            continue
        tags = show(folder).Tags()
        if not tags["scalars"] and not tags["images"]:
            print(f"FAIL: no scalars or images in {folder}")
            ok = False
        if sub == "train" and ("train/loss" not in tags["scalars"] or "samples" not in tags["images"]):
            print(f"FAIL: {folder} lacks train/loss or the samples images")
            ok = False
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
