"""diffusers DiT folders in and out of diffusion4j, checked against diffusers itself (PYTHONPATH=<diffusers>/src).

  python3 bench/diffusers_dit_parity.py make --out DIR [--device cuda] [--dtype float32,bfloat16] [--batch 3]
      For each small config (ls_p2: DiTTransformer2DModel, learned sigma, patch 2; p4: patch 4, out_channels =
      in_channels, exact GELU, no q/k/v bias, norm_eps 1e-6; legacy: the older Transformer2DModel with norm_type
      ada_norm_zero and interpolation_scale 2), a randomly initialised model with every parameter drawn (so no layer is zero and every block's
      embedders differ): DIR/<name>/model (save_pretrained), DIR/<name>/inputs.safetensors (x, t with 0 and 999, labels
      with the "no class" label), DIR/<name>/reference.safetensors (output_<dtype>; f32 with TF32 off, bf16 under
      autocast). The Java side loads and compares them:
        java -cp diffusion4j.jar:test-classes dev.diffusion4j.models.dit.DiffusersDiTParity load DIR cpu|cuda
  The reverse direction (diffusion4j export -> diffusers from_pretrained):
        java ... dev.diffusion4j.models.dit.DiffusersDiTParity export DIR2 cpu|cuda
      writes DIR2/<name>/model (a DiT exported by diffusion4j), inputs.safetensors and java.safetensors (Java's forward of
      the exported model, and of the DiT it came from); then
  python3 bench/diffusers_dit_parity.py reverse --dir DIR2 [--device cuda] [--dtype float32,bfloat16]
      loads each folder with DiTTransformer2DModel.from_pretrained and compares its outputs with Java's, printing one
      "ok"/"FAIL" line each (exit status 1 on a failure) and how far the export is from the original DiT (diffusers'
      timestep frequency shift 1 against the reference's 0).
Bounds: f32 max |a-r| / max |r| < 2e-3 and relative L2 < 1e-4; bf16 relative L2 < 5e-2 (against f32 Java output when
the Java side ran f32 only).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from safetensors_io import load, save  # noqa: E402

from diffusers import DiTTransformer2DModel  # noqa: E402

CONFIGS = {
    "ls_p2": dict(cls="DiTTransformer2DModel", num_attention_heads=2, attention_head_dim=8, in_channels=4, out_channels=8, num_layers=2,
                  sample_size=8, patch_size=2, num_embeds_ada_norm=5),
    "p4": dict(cls="DiTTransformer2DModel", num_attention_heads=2, attention_head_dim=8, in_channels=3, out_channels=None, num_layers=2,
               sample_size=8, patch_size=4, num_embeds_ada_norm=7, activation_fn="gelu", attention_bias=False, norm_eps=1e-6),
    "legacy": dict(cls="Transformer2DModel", num_attention_heads=2, attention_head_dim=8, in_channels=4, out_channels=8, num_layers=1,
                   sample_size=8, patch_size=2, num_embeds_ada_norm=3, norm_type="ada_norm_zero", norm_elementwise_affine=False,
                   activation_fn="gelu-approximate", attention_bias=True, interpolation_scale=2.0),
}


def model_class(name):
    if name == "DiTTransformer2DModel":
        return DiTTransformer2DModel
    from diffusers import Transformer2DModel
    return Transformer2DModel


def draw(model, seed):
    """Every parameter random: weights N(0, 0.7^2 / fan_in), biases N(0, 0.05^2), tables N(0, 0.5^2)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "embedding_table" in n:
                std = 0.5
            elif p.dim() >= 2:
                std = 0.7 / (p[0].numel() ** 0.5)
            else:
                std = 0.05
            p.copy_(torch.randn(p.shape, generator=g) * std)


def forward(model, inputs, device, dtype):
    x, t, y = inputs["x"].to(device), inputs["t"].to(device), inputs["y"].to(device)
    with torch.no_grad(), torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=dtype == "bfloat16"):
        return model(x, timestep=t, class_labels=y).sample.float().cpu()


def errors(a, r):
    a, r = a.double(), r.double()
    return ((a - r).abs().max() / r.abs().max()).item(), ((a - r).norm() / r.norm()).item()


def within(dtype, e):
    return e[1] < 5e-2 if dtype == "bfloat16" else e[0] < 2e-3 and e[1] < 1e-4


def make(a):
    for i, (name, spec) in enumerate(CONFIGS.items()):
        spec = dict(spec)
        cls = model_class(spec.pop("cls"))
        torch.manual_seed(i)
        m = cls(**spec)
        draw(m, 100 + i)
        m.eval()
        d = os.path.join(a.out, name)
        m.save_pretrained(os.path.join(d, "model"))
        g = torch.Generator().manual_seed(200 + i)
        c, s, k = spec["in_channels"], spec["sample_size"], spec["num_embeds_ada_norm"]
        x = torch.randn(a.batch, c, s, s, generator=g)
        t = torch.randint(0, 1000, (a.batch,), generator=g)
        t[0], t[-1] = 0, 999
        y = torch.randint(0, k, (a.batch,), generator=g)
        y[0] = k   # the "no class" row
        inputs = dict(x=x, t=t, y=y)
        save(inputs, os.path.join(d, "inputs.safetensors"))
        m = m.to(a.device)
        ref = {}
        for dt in a.dtype.split(","):
            out = forward(m, inputs, a.device, dt)
            if torch.isfinite(out).all():
                ref[f"output_{dt}"] = out
            else:   # seen now and then with torch 1.13 on the CPU (the same call repeated is finite); nothing to compare then
                print(f"note: {name} {dt} on {a.device}: diffusers' output is not finite; not saved, not compared")
        save(ref, os.path.join(d, "reference.safetensors"))
        print(json.dumps(dict(config=name, parameters=sum(p.numel() for p in m.parameters()), dtypes=a.dtype, device=a.device,
                              torch=torch.__version__)))


def reverse(a):
    failed = False
    for name in sorted(os.listdir(a.dir)):
        d = os.path.join(a.dir, name)
        if not os.path.isdir(os.path.join(d, "model")):
            continue
        m = DiTTransformer2DModel.from_pretrained(os.path.join(d, "model")).to(a.device).eval()
        inputs, java = load(os.path.join(d, "inputs.safetensors")), load(os.path.join(d, "java.safetensors"))
        for dt in a.dtype.split(","):
            out = forward(m, inputs, a.device, dt)
            ref = java.get(f"output_{dt}", java["output_float32"])
            e = errors(out, ref)
            ok = within(dt, e)
            failed |= not ok
            print(f"{'ok' if ok else 'FAIL'} {name} {dt} on {a.device}: diffusers from_pretrained(Java export) vs Java's forward of it: "
                  f"max rel {e[0]:.2e}, rel L2 {e[1]:.2e}")
            if dt == "float32" and "dit_output" in java:
                e = errors(out, java["dit_output"])
                print(f"info {name}: the export vs the DiT it came from (timestep frequency shift 1 vs 0): max rel {e[0]:.2e}, rel L2 {e[1]:.2e}")
    sys.exit(1 if failed else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    mk = sub.add_parser("make")
    mk.add_argument("--out", required=True)
    mk.add_argument("--batch", type=int, default=3)
    rv = sub.add_parser("reverse")
    rv.add_argument("--dir", required=True)
    for p in (mk, rv):
        p.add_argument("--device", default="cpu")
        p.add_argument("--dtype", default="float32", help="comma-separated: float32,bfloat16")
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    make(a) if a.cmd == "make" else reverse(a)


if __name__ == "__main__":
    main()
