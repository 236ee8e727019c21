"""Parity of diffusion4j's UNet2D (models/unet2d) with diffusers' UNet2DModel and UNet2DConditionModel, both ways.

  python3 bench/diffusers_unet_parity.py run --out DIR --java 'JAVA -cp CLASSPATH' [--device cuda] [--dtype float32,bfloat16]
      make, then the Java side (dev.diffusion4j.models.unet2d.UNet2DDiffusersParity, a test-side main), then check;
      exit status 1 when any comparison fails
  python3 bench/diffusers_unet_parity.py make --out DIR [--cases a,b] [--device ...] [--dtype ...]
      DIR/CASE/model: a randomly initialised diffusers model of each case's config, written by save_pretrained, with
      every GroupNorm/LayerNorm affine and every bias drawn (nothing sits at a trivial 0 or 1);
      DIR/CASE/inputs.safetensors: sample, timestep (i64), and class_labels / encoder_hidden_states where the case has them;
      DIR/CASE/reference.safetensors: diffusers' output per dtype (out_float32 with TF32 off; out_bfloat16 under bf16 autocast)
  python3 bench/diffusers_unet_parity.py check --out DIR [--device ...] [--dtype ...]
      Java -> diffusers: DIR/CASE/java.safetensors (Java's outputs on diffusers' weights) against the reference;
      diffusers <- Java: DIR/CASE/java_model (a folder Java built and saved) loaded by from_pretrained, run on the same
      inputs, against DIR/CASE/java_model_out.safetensors (Java's own outputs); relative L2 within 1e-4 (f32), 5e-2 (bf16)
  python3 bench/diffusers_unet_parity.py fixture --out DIR
      the tiny cases the CPU unit test reads (src/test/resources/dev/diffusion4j/models/unet2d), f32 only

Needs torch and the diffusers source on PYTHONPATH (PYTHONPATH=<diffusers>/src); writes safetensors with
scripts/safetensors_io.py (no safetensors package needed for our own files).
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from safetensors_io import load, save  # noqa: E402

from diffusers import UNet2DConditionModel, UNet2DModel  # noqa: E402

JAVA_MAIN = "dev.diffusion4j.models.unet2d.UNet2DDiffusersParity"

if int(torch.__version__.split(".")[0]) < 2:
    # torch 1.x has no SDPA, so diffusers' attention falls back to baddbmm over torch.empty with beta 0, and torch 1.13's
    # CPU baddbmm then lets the empty tensor's NaN through for small shapes (a 2x2 mid block). Only the local torch 1.13
    # reference needs this; torch 2.x (the GPU machine) takes SDPA and never reaches it.
    _baddbmm = torch.baddbmm

    def _baddbmm_beta0(input, batch1, batch2, *, beta=1, alpha=1, out=None):
        if beta == 0 and out is None:
            return alpha * torch.bmm(batch1, batch2)
        return _baddbmm(input, batch1, batch2, beta=beta, alpha=alpha, out=out)

    torch.baddbmm = _baddbmm_beta0
TOL = {"float32": 1e-4, "bfloat16": 5e-2}

# name -> (class, config, batch, context length); small enough for a CPU, covering each supported option
CASES = {
    # google/ddpm-* layout: plain and attention blocks, heads of width attention_head_dim
    "ddpm_attn": (UNet2DModel, dict(sample_size=16, in_channels=3, out_channels=3, block_out_channels=[32, 64], layers_per_block=1,
                                    down_block_types=["DownBlock2D", "AttnDownBlock2D"], up_block_types=["AttnUpBlock2D", "UpBlock2D"],
                                    attention_head_dim=8, norm_num_groups=8), 2, 0),
    # no attention anywhere, the other time_proj options, asymmetric downsample padding, centred input, mid scale
    "ddpm_plain": (UNet2DModel, dict(sample_size=16, in_channels=1, out_channels=2, block_out_channels=[16, 32, 32], layers_per_block=2,
                                     down_block_types=["DownBlock2D"] * 3, up_block_types=["UpBlock2D"] * 3, add_attention=False,
                                     attention_head_dim=None, freq_shift=1, flip_sin_to_cos=False, downsample_padding=0,
                                     center_input_sample=True, mid_block_scale_factor=1.5, norm_num_groups=8, norm_eps=1e-6), 2, 0),
    # class-conditional, one head per attention, own mid-attention groups, a wider time embedding
    "ddpm_class": (UNet2DModel, dict(sample_size=8, in_channels=3, out_channels=3, block_out_channels=[16, 32], layers_per_block=1,
                                     down_block_types=["AttnDownBlock2D", "DownBlock2D"], up_block_types=["UpBlock2D", "AttnUpBlock2D"],
                                     attention_head_dim=None, attn_norm_num_groups=4, num_class_embeds=10, time_embedding_dim=80,
                                     norm_num_groups=8, dropout=0.1), 3, 0),
    # Stable Diffusion 1.x layout in small: 1x1-conv projections; attention_head_dim 4 is the NUMBER of heads
    "cond_conv": (UNet2DConditionModel, dict(sample_size=16, in_channels=4, out_channels=4, block_out_channels=[32, 64], layers_per_block=1,
                                             down_block_types=["CrossAttnDownBlock2D", "DownBlock2D"],
                                             up_block_types=["UpBlock2D", "CrossAttnUpBlock2D"], cross_attention_dim=24,
                                             attention_head_dim=4, norm_num_groups=8), 2, 7),
    # SD 2.x style: linear projections, heads per level, deeper transformers, class embedding
    "cond_linear": (UNet2DConditionModel, dict(sample_size=16, in_channels=4, out_channels=4, block_out_channels=[32, 64, 64], layers_per_block=1,
                                               down_block_types=["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
                                               up_block_types=["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
                                               cross_attention_dim=16, attention_head_dim=[2, 4, 8], use_linear_projection=True,
                                               transformer_layers_per_block=2, num_class_embeds=5, norm_num_groups=8), 2, 5),
    # the full SD 1.x block pattern (4 levels, 2 layers, mid cross-attention) at small widths
    "cond_sd": (UNet2DConditionModel, dict(sample_size=16, in_channels=4, out_channels=4, block_out_channels=[32, 32, 64, 64], layers_per_block=2,
                                           cross_attention_dim=32, attention_head_dim=8, norm_num_groups=8), 2, 9),
}
# the CPU unit test's fixture: the two layouts at the smallest widths (a few hundred KB in all)
FIXTURE = {
    "ddpm_attn_tiny": (UNet2DModel, dict(sample_size=8, in_channels=3, out_channels=3, block_out_channels=[8, 16], layers_per_block=1,
                                         down_block_types=["DownBlock2D", "AttnDownBlock2D"], up_block_types=["AttnUpBlock2D", "UpBlock2D"],
                                         attention_head_dim=4, norm_num_groups=4, num_class_embeds=4), 2, 0),
    "cond_tiny": (UNet2DConditionModel, dict(sample_size=8, in_channels=4, out_channels=4, block_out_channels=[8, 16], layers_per_block=1,
                                             down_block_types=["CrossAttnDownBlock2D", "DownBlock2D"],
                                             up_block_types=["UpBlock2D", "CrossAttnUpBlock2D"], cross_attention_dim=6,
                                             attention_head_dim=2, norm_num_groups=4), 2, 3),
}


def randomise(model, seed):
    """Draws every norm affine and bias so none sits at a trivial value (GroupNorm/LayerNorm weights N(1, 0.2), their
    biases N(0, 0.2), conv and linear biases N(0, 0.05)); conv and linear weights keep PyTorch's default init, and a
    class table its N(0, 1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.GroupNorm, torch.nn.LayerNorm)) and module.weight is not None:
                module.weight.copy_(1 + 0.2 * torch.randn(module.weight.shape, generator=g))
                module.bias.copy_(0.2 * torch.randn(module.bias.shape, generator=g))
            elif isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)) and module.bias is not None:
                module.bias.copy_(0.05 * torch.randn(module.bias.shape, generator=g))


def inputs_for(cls, cfg, batch, ctx_len, seed):
    g = torch.Generator().manual_seed(seed)
    s = cfg["sample_size"]
    x = {"sample": torch.randn(batch, cfg["in_channels"], s, s, generator=g),
         "timestep": torch.tensor([10, 987, 500][:batch] + [250] * max(0, batch - 3), dtype=torch.int64)}
    if cfg.get("num_class_embeds"):
        x["class_labels"] = torch.randint(0, cfg["num_class_embeds"], (batch,), generator=g)
    if cls is UNet2DConditionModel:
        x["encoder_hidden_states"] = torch.randn(batch, ctx_len, cfg["cross_attention_dim"], generator=g)
    return x


def forward(model, x, device, dtype):
    """diffusers' output: f32 with TF32 off, or under bf16 autocast (the weights stay f32, as in Java's autocast)."""
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    kw = {k: v.to(device) for k, v in x.items() if k != "sample" and k != "timestep"}
    with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16, enabled=dtype == "bfloat16"):
        out = model(x["sample"].to(device), x["timestep"].to(device), **kw).sample
    return out.float().cpu()


def make(a, cases):
    for i, (name, (cls, cfg, batch, ctx_len)) in enumerate(cases.items()):
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        torch.manual_seed(1000 + i)
        model = cls(**cfg)
        randomise(model, 2000 + i)
        model.eval()
        model.save_pretrained(os.path.join(d, "model"))
        x = inputs_for(cls, cfg, batch, ctx_len, 3000 + i)
        save(x, os.path.join(d, "inputs.safetensors"))
        model.to(a.device)
        save({"out_" + dt: forward(model, x, a.device, dt) for dt in a.dtypes}, os.path.join(d, "reference.safetensors"))
        print(json.dumps(dict(case=name, cls=cls.__name__, params=sum(p.numel() for p in model.parameters()))), flush=True)


def rel_l2(a, b):
    return float((a.double() - b.double()).norm() / b.double().norm())


def check(a, cases):
    failed = False
    for name, (cls, _, _, _) in cases.items():
        d = os.path.join(a.out, name)
        x = load(os.path.join(d, "inputs.safetensors"))
        ref = load(os.path.join(d, "reference.safetensors"))
        java = load(os.path.join(d, "java.safetensors"))
        back = cls.from_pretrained(os.path.join(d, "java_model")).to(a.device).eval()
        java_own = load(os.path.join(d, "java_model_out.safetensors"))
        for dt in a.dtypes:
            for what, mine, theirs in (("java(diffusers weights) vs diffusers", java["out_" + dt], ref["out_" + dt]),
                                       ("diffusers(java-saved folder) vs java", forward(back, x, a.device, dt), java_own["out_" + dt])):
                e = rel_l2(mine, theirs)
                ok = mine.shape == theirs.shape and e < TOL[dt]
                failed |= not ok
                print(f"{'ok' if ok else 'FAIL'} {name} {dt} on {a.device}: {what}: rel L2 {e:.2e} (bound {TOL[dt]:.0e})", flush=True)
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["run", "make", "check", "fixture"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--java", help="the Java command up to the class name, e.g. 'java -cp target/classes:target/test-classes:DEPS' (run)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--dtype", default="float32,bfloat16", help="comma-separated: float32, bfloat16")
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated, of: " + ", ".join(CASES))
    a = ap.parse_args()
    a.dtypes = a.dtype.split(",")
    for dt in a.dtypes:
        if dt not in TOL:
            ap.error(f"--dtype {dt}: use float32 and/or bfloat16")
    if a.cmd == "fixture":
        a.dtypes, a.device = ["float32"], "cpu"
        make(a, FIXTURE)
        return
    unknown = [c for c in a.cases.split(",") if c not in CASES]
    if unknown:
        ap.error(f"unknown case {unknown[0]}; cases: {', '.join(CASES)}")
    cases = {c: CASES[c] for c in a.cases.split(",")}
    if a.cmd in ("run", "make"):
        make(a, cases)
    if a.cmd == "run":
        if not a.java:
            ap.error("run needs --java 'JAVA -cp CLASSPATH'")
        cmd = shlex.split(a.java) + [JAVA_MAIN, a.out, a.device, ",".join(a.dtypes), ",".join(cases)]
        print("$ " + " ".join(cmd), flush=True)
        if subprocess.call(cmd) != 0:
            print("FAIL the Java side exited with an error", flush=True)
            sys.exit(1)
    if a.cmd in ("run", "check"):
        sys.exit(1 if check(a, cases) else 0)


if __name__ == "__main__":
    main()
