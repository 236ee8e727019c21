"""Stable Diffusion 1.x-layout denoising in diffusion4j against diffusers: a randomly initialised UNet2DConditionModel
and SD's DDIMScheduler, 5 DDIM steps with classifier-free guidance 7.5 from the same initial latents and prompt
embeddings (no text encoder: the embeddings are drawn), and the same loop timed.

  python3 bench/sd_pipeline_parity.py parity --out DIR --java 'JAVA -cp CLASSPATH' [--layout sd1|small] [--device cuda]
                                             [--dtype float32,bfloat16] [--batch 2] [--steps 5] [--guidance 7.5]
      DIR/unet (save_pretrained; sd1: block_out_channels 320,640,1280,1280, cross_attention_dim 768, attention_head_dim
      8, 859,520,964 parameters; small: the same block pattern at widths 32,32,64,64 for a CPU), DIR/scheduler
      (SD's DDIM config), DIR/inputs.safetensors (latents [B, 4, 64, 64], prompt_embeds and negative_prompt_embeds
      [B, 77, 768]), DIR/reference.safetensors (diffusers' latents after the loop per dtype: f32 with TF32 off, bf16
      autocast over f32 weights as Java runs it); then the Java side (dev.diffusion4j.models.unet2d.SdPipelineParity)
      writes DIR/java.safetensors and the latents are compared (relative L2 within 1e-3 for f32, 1e-1 for bf16: 5 steps
      with guidance 7.5 amplify rounding differences). Exit status 1 when one fails. Without --java only diffusers runs.
  python3 bench/sd_pipeline_parity.py bench --java 'JAVA -cp CLASSPATH' [--batches 1,4] [--steps 50] [--modes ...]
      50 DDIM steps with guidance 7.5 at 512x512 (64x64 latents), the SD 1.x U-Net in bf16: Java (bf16 autocast over f32
      weights) beside diffusers eager with bf16 weights (eager_bf16, as pipelines run with torch_dtype=bfloat16),
      eager with f32 weights under bf16 autocast (autocast, as Java runs it) and torch.compile of the bf16 U-Net
      (compile_bf16); one JSON line per side, mode and batch.

The loop is StableDiffusionPipeline's (set_timesteps, the doubled batch with the unconditional half first,
uncond + w (text - uncond), scheduler.step with eta 0), written out so no VAE, text encoder or tokenizer is needed.
Needs torch and the diffusers source on PYTHONPATH (PYTHONPATH=<diffusers>/src).
"""
import argparse
import copy
import json
import os
import shlex
import subprocess
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
sys.path.insert(0, HERE)
from safetensors_io import load, save  # noqa: E402
from diffusers_unet_parity import randomise  # noqa: E402

from diffusers import DDIMScheduler, UNet2DConditionModel  # noqa: E402

JAVA_MAIN = "dev.diffusion4j.models.unet2d.SdPipelineParity"
SD1 = dict(sample_size=64, in_channels=4, out_channels=4, block_out_channels=[320, 640, 1280, 1280], layers_per_block=2,
           cross_attention_dim=768, attention_head_dim=8, down_block_types=["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
           up_block_types=["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3)
SMALL = dict(SD1, sample_size=16, block_out_channels=[32, 32, 64, 64], cross_attention_dim=32, norm_num_groups=8)
SD_DDIM = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
               set_alpha_to_one=False, steps_offset=1, prediction_type="epsilon", timestep_spacing="leading")
TOL = {"float32": 1e-3, "bfloat16": 1e-1}


def denoise(unet, sched, latents, text, neg, steps, guidance, device, autocast=False, dtype=torch.float32):
    """StableDiffusionPipeline's loop over given latents and prompt embeddings; returns f32 latents."""
    sched.set_timesteps(steps, device=device)
    ctx = torch.cat([neg, text]).to(device, dtype)
    x = latents.to(device) * sched.init_noise_sigma
    for t in sched.timesteps:
        xin = sched.scale_model_input(torch.cat([x, x]), t)
        with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16, enabled=autocast):
            eps = unet(xin.to(dtype), t, encoder_hidden_states=ctx).sample.float()
        uncond, cond = eps.chunk(2)
        x = sched.step(uncond + guidance * (cond - uncond), t, x, eta=0.0).prev_sample
    return x.float()


def parity(a):
    if a.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    cfg = SD1 if a.layout == "sd1" else SMALL
    torch.manual_seed(0)
    unet = UNet2DConditionModel(**cfg)
    randomise(unet, 1)
    unet.eval()
    os.makedirs(a.out, exist_ok=True)
    unet.save_pretrained(os.path.join(a.out, "unet"))
    sched = DDIMScheduler(**SD_DDIM)
    sched.save_pretrained(os.path.join(a.out, "scheduler"))
    g = torch.Generator().manual_seed(2)
    s, d = cfg["sample_size"], cfg["cross_attention_dim"]
    ctx_len = 77 if a.layout == "sd1" else 9
    inputs = dict(latents=torch.randn(a.batch, 4, s, s, generator=g), prompt_embeds=torch.randn(a.batch, ctx_len, d, generator=g),
                  negative_prompt_embeds=torch.randn(a.batch, ctx_len, d, generator=g),
                  steps=torch.tensor(a.steps, dtype=torch.int64), guidance=torch.tensor(a.guidance, dtype=torch.float64))
    save(inputs, os.path.join(a.out, "inputs.safetensors"))
    unet.to(a.device)
    ref = {}
    for dt in a.dtypes:
        t0 = time.perf_counter()
        ref["latents_" + dt] = denoise(unet, sched, inputs["latents"], inputs["prompt_embeds"], inputs["negative_prompt_embeds"],
                                       a.steps, a.guidance, a.device, autocast=dt == "bfloat16").cpu()
        print(json.dumps(dict(side="diffusers", dtype=dt, seconds=round(time.perf_counter() - t0, 2))), flush=True)
    save(ref, os.path.join(a.out, "reference.safetensors"))
    print(json.dumps(dict(layout=a.layout, params=sum(p.numel() for p in unet.parameters()), batch=a.batch, steps=a.steps,
                          guidance=a.guidance, torch=torch.__version__)), flush=True)
    if not a.java:
        return
    del unet
    if a.device == "cuda":
        torch.cuda.empty_cache()   # leave the GPU to the Java side
    cmd = shlex.split(a.java) + [JAVA_MAIN, "parity", a.out, a.device, ",".join(a.dtypes)]
    print("$ " + " ".join(cmd), flush=True)
    if subprocess.call(cmd) != 0:
        print("FAIL the Java side exited with an error", flush=True)
        sys.exit(1)
    java = load(os.path.join(a.out, "java.safetensors"))
    failed = False
    for dt in a.dtypes:
        mine, theirs = java["latents_" + dt].double(), ref["latents_" + dt].double()
        e = float((mine - theirs).norm() / theirs.norm())
        ok = e < TOL[dt]
        failed |= not ok
        print(f"{'ok' if ok else 'FAIL'} {a.layout} {a.steps} DDIM steps, guidance {a.guidance}, {dt} on {a.device}: "
              f"latents rel L2 {e:.2e} (bound {TOL[dt]:.0e})", flush=True)
    sys.exit(1 if failed else 0)


def bench(a):
    sched = DDIMScheduler(**SD_DDIM)
    torch.manual_seed(0)
    base = UNet2DConditionModel(**SD1).eval()
    # each mode gets its own copy of the same f32 weights (moving base itself to bf16 would change the next mode)
    variants = {"autocast": (lambda: copy.deepcopy(base).to(a.device), True, torch.float32),
                "eager_bf16": (lambda: copy.deepcopy(base).to(a.device, torch.bfloat16), False, torch.bfloat16),
                "compile_bf16": (lambda: torch.compile(copy.deepcopy(base).to(a.device, torch.bfloat16)), False, torch.bfloat16)}
    unet = None
    for mode in a.modes.split(","):
        make, autocast, dtype = variants[mode]
        del unet
        torch.cuda.empty_cache()
        unet = make()
        for b in [int(x) for x in a.batches.split(",")]:
            g = torch.Generator().manual_seed(1)
            lat = torch.randn(b, 4, 64, 64, generator=g)
            text, neg = torch.randn(b, 77, 768, generator=g), torch.randn(b, 77, 768, generator=g)
            w0 = time.perf_counter()
            denoise(unet, sched, lat, text, neg, 3, 7.5, a.device, autocast, dtype)   # warm-up (and compilation)
            torch.cuda.synchronize()
            warm = time.perf_counter() - w0
            torch.cuda.reset_peak_memory_stats()
            t0 = time.perf_counter()
            denoise(unet, sched, lat, text, neg, a.steps, 7.5, a.device, autocast, dtype)
            torch.cuda.synchronize()
            s = time.perf_counter() - t0
            print(json.dumps(dict(side="diffusers", mode=mode, batch=b, steps=a.steps, seconds=round(s, 3), it_per_s=round(a.steps / s, 3),
                                  warmup_s=round(warm, 1), peak_mib=torch.cuda.max_memory_allocated() >> 20, torch=torch.__version__)), flush=True)
    if a.java:
        del base, unet
        torch.cuda.empty_cache()
        cmd = shlex.split(a.java) + [JAVA_MAIN, "bench", a.device, a.batches, str(a.steps)]
        print("$ " + " ".join(cmd), flush=True)
        sys.exit(subprocess.call(cmd))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["parity", "bench"])
    ap.add_argument("--out", help="folder for the parity files")
    ap.add_argument("--java", help="the Java command up to the class name, e.g. 'java -cp target/classes:target/test-classes:DEPS'")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--dtype", default="float32,bfloat16")
    ap.add_argument("--layout", choices=["sd1", "small"], default="sd1")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--steps", type=int, default=None, help="DDIM steps (parity 5, bench 50)")
    ap.add_argument("--guidance", type=float, default=7.5)
    ap.add_argument("--batches", default="1,4")
    ap.add_argument("--modes", default="eager_bf16,autocast,compile_bf16", help="comma-separated: eager_bf16, autocast, compile_bf16")
    a = ap.parse_args()
    a.dtypes = a.dtype.split(",")
    if any(dt not in TOL for dt in a.dtypes):
        ap.error("--dtype: float32 and/or bfloat16")
    if a.cmd == "parity":
        if not a.out:
            ap.error("parity needs --out DIR")
        a.steps = a.steps or 5
        parity(a)
    else:
        bad = [m for m in a.modes.split(",") if m not in ("eager_bf16", "autocast", "compile_bf16")]
        if bad:
            ap.error(f"--modes {bad[0]}: use eager_bf16, autocast, compile_bf16")
        if a.device != "cuda":
            ap.error("bench times on a GPU: --device cuda")
        a.steps = a.steps or 50
        bench(a)


if __name__ == "__main__":
    main()
