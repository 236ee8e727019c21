"""Loads the DDPMPipeline folders that dev.diffusion4j.interop.diffusers.UNetExportFixtures wrote (diffuse's U-Net
export: model_index.json, unet/ as UNet2DModel, scheduler/ as DDPMScheduler) with diffusers itself and compares
UNet2DModel's outputs on the recorded inputs with our forward's (whole and fractional timesteps, class labels where the
model has them), and the scheduler's betas with the run's.

    python bench/diffusers_unet_export_check.py FIXTURES [--device cuda] [--dtype float32|bfloat16] [--tol 1e-4]
    python bench/diffusers_unet_export_check.py FIXTURES --write-keys src/test/resources/diffusers/unet2d_keys.json

--write-keys builds UNet2DModel from each exported unet/config.json and records diffusers' own parameter names and
shapes with the config (the fixture DiffusersUNet2DTest checks our name mapping against without Python).

Exit status 0 when every case agrees within --tol (max |diff| / max(1, max |ours|)).
"""
import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import safetensors_io  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fixtures")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    ap.add_argument("--tol", type=float, default=None, help="default 1e-4 (f32), 5e-2 (bf16/f16)")
    ap.add_argument("--write-keys", help="write diffusers' parameter names and shapes per case to this JSON file and stop")
    a = ap.parse_args()
    import torch
    # PyTorch runs cuDNN convolutions in TF32 by default (0.05% off on the GPU); the f32 comparison wants f32 on both sides
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    from diffusers import DDPMScheduler, UNet2DModel
    if a.write_keys:
        cases = {}
        for name in open(os.path.join(a.fixtures, "cases.txt")).read().split():
            config = json.load(open(os.path.join(a.fixtures, name, "unet", "config.json")))
            model = UNet2DModel.from_config(config)
            cases[name] = {"config": config, "keys": {k: list(v.shape) for k, v in model.state_dict().items()}}
        with open(a.write_keys, "w") as f:
            json.dump(cases, f, indent=None, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {a.write_keys}: {len(cases)} UNet2DModel key lists")
        return
    try:
        from diffusers import DDPMPipeline
    except Exception as e:  # a minimal local install may lack the pipelines' own imports
        DDPMPipeline = None
        print(f"DDPMPipeline cannot be imported here ({str(e).splitlines()[-1]}); checking unet/ and scheduler/ by class, "
              "model_index.json by reading it")
    dtype = getattr(torch, a.dtype)
    tol = a.tol if a.tol is not None else (1e-4 if dtype == torch.float32 else 5e-2)
    names = open(os.path.join(a.fixtures, "cases.txt")).read().split()
    worst = 0.0
    for name in names:
        folder = os.path.join(a.fixtures, name)
        check = safetensors_io.load(os.path.join(folder, "check.safetensors"))
        unet = UNet2DModel.from_pretrained(os.path.join(folder, "unet")).to(a.device, dtype).eval()
        if DDPMPipeline is not None:
            pipe = DDPMPipeline.from_pretrained(folder)
            kinds = f"{type(pipe).__name__} with {type(pipe.unet).__name__}, {type(pipe.scheduler).__name__}"
            scheduler = pipe.scheduler
        else:
            index = json.load(open(os.path.join(folder, "model_index.json")))
            kinds = f"model_index {index['_class_name']}: unet {index['unet']}, scheduler {index['scheduler']}"
            scheduler = DDPMScheduler.from_pretrained(folder, subfolder="scheduler")
        betas = scheduler.betas.double()
        beta_diff = (betas - check["betas"].double()).abs().max().item()
        labels = check["labels"].to(a.device) if "labels" in check else None
        diffs = []
        with torch.no_grad():
            for key in ("int", "frac"):
                t = check["t_" + key].to(a.device)
                got = unet(check["x"].to(a.device, dtype), t, class_labels=labels).sample.float().cpu()
                want = check["out_" + key].float()
                d = (got - want).abs().max().item() / max(1.0, want.abs().max().item())
                diffs.append(d if math.isfinite(d) else math.inf)   # a NaN output is a mismatch, not a pass
        d = max(diffs)
        worst = max(worst, d, beta_diff)
        print(f"{name:28s} UNet2DModel vs ours: max rel diff {diffs[0]:.3g} (whole t), {diffs[1]:.3g} (fractional t); "
              f"DDPMScheduler betas max |diff| {beta_diff:.3g}; {kinds}")
    ok = worst <= tol
    print(f"{len(names)} exported pipelines, worst {worst:.3g} (tolerance {tol:g}, {a.dtype} on {a.device}): {'OK' if ok else 'MISMATCH'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
