"""Loads the StableDiffusionPipeline folders that dev.diffusion4j.interop.diffusers.StableDiffusionExportFixtures wrote
(diffuse's export of a latent text-to-image run: unet/ as UNet2DConditionModel, vae/ as AutoencoderKL, scheduler/ as
DDIMScheduler, text_encoder/ and tokenizer/ for transformers' CLIPTextModel and CLIPTokenizer) with diffusers itself and
compares with what Java recorded in each folder's check.safetensors:

- always: UNet2DConditionModel's output on Java's context (the text encoder's last hidden state) at three timesteps;
  AutoencoderKL's decode of latents / scaling_factor; DDIMScheduler's betas and its 5-step timesteps against the run's;
  and StableDiffusionPipeline's denoising loop rebuilt from those three parts (classifier-free guidance on Java's
  prompt and empty-prompt contexts, DDIMScheduler.step with eta 0, decode) against Java's images.
- with transformers installed: CLIPTokenizer's padded ids and CLIPTextModel's last_hidden_state against Java's, then
  StableDiffusionPipeline.from_pretrained(folder)(prompts, latents=the recorded noise, 5 steps, guidance 1 and 3)
  against PretrainedPipeline.sampleFrom's images.

    python bench/diffusers_sd_export_check.py FIXTURES [--device cuda] [--dtype float32|bfloat16] [--tol 1e-4]

Exit status 0 when every comparison agrees within --tol (max |diff| / max(1, max |java|)).
"""
import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import safetensors_io  # noqa: E402


def rel(got, want):
    d = (got.float().cpu() - want.float().cpu()).abs().max().item() / max(1.0, want.float().abs().max().item())
    return d if math.isfinite(d) else math.inf   # a NaN is a mismatch, not a pass


def sd_loop(unet, vae, sched, noise, ctx, empty, w):
    """StableDiffusionPipeline's sampling from given latents and prompt embeddings, in [-1, 1]."""
    sched.set_timesteps(5)
    lat = noise * sched.init_noise_sigma
    for t in sched.timesteps:
        if w > 1:
            uncond, cond = unet(torch.cat([lat, lat]), t, encoder_hidden_states=torch.cat([empty, ctx])).sample.chunk(2)
            pred = uncond + w * (cond - uncond)
        else:
            pred = unet(lat, t, encoder_hidden_states=ctx).sample
        lat = sched.step(pred, t, lat, eta=0.0).prev_sample
    return vae.decode(lat / vae.config.scaling_factor).sample.clamp(-1, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fixtures")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    ap.add_argument("--tol", type=float, default=None, help="default 1e-4 (f32), 5e-2 (bf16/f16)")
    a = ap.parse_args()
    import torch
    # PyTorch runs cuDNN convolutions in TF32 by default (0.05% off on the GPU); the f32 comparison wants f32 on both sides
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    try:
        import transformers  # noqa: F401
        from diffusers import StableDiffusionPipeline
        from transformers import CLIPTextModel, CLIPTokenizer
    except Exception as e:
        StableDiffusionPipeline = None
        print(f"transformers / StableDiffusionPipeline not importable here ({str(e).splitlines()[-1]}): checking unet/, vae/, scheduler/ "
              "and the denoising loop on Java's text contexts; the text encoder, tokenizer and StableDiffusionPipeline itself need transformers")
    dtype = getattr(torch, a.dtype)
    tol = a.tol if a.tol is not None else (1e-4 if dtype == torch.float32 else 5e-2)
    dev = a.device
    worst = 0.0
    names = open(os.path.join(a.fixtures, "cases.txt")).read().split()
    for name in names:
        folder = os.path.join(a.fixtures, name)
        check = safetensors_io.load(os.path.join(folder, "check.safetensors"))
        prompts = json.load(open(os.path.join(folder, "prompts.json")))
        unet = UNet2DConditionModel.from_pretrained(os.path.join(folder, "unet")).to(dev, dtype).eval()
        vae = AutoencoderKL.from_pretrained(os.path.join(folder, "vae")).to(dev, dtype).eval()
        sched = DDIMScheduler.from_pretrained(folder, subfolder="scheduler")
        line = {}
        with torch.no_grad():
            ctx = check["context"].to(dev, dtype)
            x = check["x"].to(dev, dtype)
            unet_diffs = []
            for key in sorted(k for k in check if k.startswith("t_")):
                t = check[key].to(dev)
                got = unet(x, t, encoder_hidden_states=ctx).sample
                unet_diffs.append(rel(got, check["unet_" + key[2:]]))
            line["unet"] = max(unet_diffs)
            z = check["latents"].to(dev, dtype) / vae.config.scaling_factor
            line["vae decode"] = rel(vae.decode(z).sample, check["decoded"])
            line["betas"] = (sched.betas.double() - check["betas"].double()).abs().max().item()
            sched.set_timesteps(5)
            # our DDIM respaces to every (T // 5)-th step from 0; the folder adds steps_offset 1 (what StableDiffusionPipeline forces)
            want_t = torch.arange(0, 5) * (sched.config.num_train_timesteps // 5) + 1
            line["timesteps"] = float((sched.timesteps.cpu() != want_t.flip(0)).sum().item())
            for w in (1, 3):
                line[f"loop w={w}"] = rel(sd_loop(unet, vae, sched, check["noise"].to(dev, dtype), ctx, check["context_empty"].to(dev, dtype), w),
                                          check[f"images_w{w}"])
            if StableDiffusionPipeline is not None:
                tok = CLIPTokenizer.from_pretrained(folder, subfolder="tokenizer")
                ids = tok(prompts, padding="max_length", max_length=tok.model_max_length, truncation=True, return_tensors="pt").input_ids
                line["token ids"] = float((ids != check["input_ids"]).sum().item())
                text = CLIPTextModel.from_pretrained(folder, subfolder="text_encoder").to(dev, dtype).eval()
                line["text encoder"] = rel(text(check["input_ids"].to(dev))[0], check["context"])
                pipe = StableDiffusionPipeline.from_pretrained(folder, torch_dtype=dtype).to(dev)
                pipe.set_progress_bar_config(disable=True)
                noise = check["noise"].to(dev, dtype)
                size = noise.shape[-1] * pipe.vae_scale_factor
                for w in (1, 3):
                    img = pipe(prompts, height=size, width=size, num_inference_steps=5, guidance_scale=w, latents=noise.clone(),
                               output_type="pt", eta=0.0).images
                    line[f"pipeline w={w}"] = rel(img * 2 - 1, check[f"images_w{w}"])   # diffusers' [0, 1], ours [-1, 1]
        counts = {"timesteps", "token ids"}
        worst = max([worst] + [v if k not in counts else (math.inf if v else 0.0) for k, v in line.items()])
        print(f"{name:18s} " + "; ".join(f"{k} {v:.3g}" if k not in counts else f"{k} mismatches {int(v)}" for k, v in line.items()))
    ok = worst <= tol
    print(f"{len(names)} exported pipelines, worst {worst:.3g} (tolerance {tol:g}, {a.dtype} on {dev}): {'OK' if ok else 'MISMATCH'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
