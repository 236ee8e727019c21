"""diffuse sample --pretrained against diffusers' own pipelines: DDPMPipeline and DiTPipeline folders with random
weights, sampled by diffusers (its pipeline __call__, with the initial noise fixed) and by diffusion4j's
PretrainedPipeline (src/test/java/.../PretrainedPipelineParity.java) from the same noise; the images must agree.

  python3 bench/diffusers_pipeline_parity.py --out /tmp/pp-parity --java "java --add-modules jdk.incubator.vector -cp ..." \
      [--device cpu|cuda] [--cases ddpm-ddim,ddpm-euler,dit-ddim]

diffusers' source must be importable (PYTHONPATH=<diffusers>/src). Prints one line per case and exits 1 on a mismatch.
"""
import argparse, json, os, shlex, subprocess, sys

import torch
from safetensors.torch import load_file, save_file


def perturb(model, scale=0.02, seed=0):
    # zero-initialised layers (DiT's adaLN and final layer) would make the outputs trivially zero
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * scale)
    return model.eval()   # freshly built modules are in training mode: DiT's label embedder would drop labels at random


def scheduler(kind):
    from diffusers import DDIMScheduler, EulerDiscreteScheduler, DPMSolverMultistepScheduler
    if kind == "ddim":
        return DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False)
    if kind == "euler":
        return EulerDiscreteScheduler(num_train_timesteps=1000, beta_schedule="linear")
    if kind == "dpm":
        return DPMSolverMultistepScheduler(num_train_timesteps=1000, beta_schedule="linear")
    raise ValueError(kind)


def build(case):
    from diffusers import UNet2DModel, DDPMPipeline, DiTPipeline, DiTTransformer2DModel, AutoencoderKL
    torch.manual_seed(0)
    model, sched = case.split("-")
    if model == "ddpm":
        unet = UNet2DModel(sample_size=16, in_channels=3, out_channels=3, block_out_channels=(32, 64), layers_per_block=1,
                           down_block_types=("DownBlock2D", "AttnDownBlock2D"), up_block_types=("AttnUpBlock2D", "UpBlock2D"),
                           norm_num_groups=8)
        return DDPMPipeline(unet=perturb(unet), scheduler=scheduler(sched)), None
    # DiTPipeline's "no class" label is 1000, so the label table has 1001 rows
    tr = DiTTransformer2DModel(num_attention_heads=2, attention_head_dim=16, in_channels=4, out_channels=8, num_layers=2,
                               sample_size=8, patch_size=2, num_embeds_ada_norm=1000)
    vae = AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
                        up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(32, 32), layers_per_block=1,
                        latent_channels=4, norm_num_groups=8, sample_size=16)
    return DiTPipeline(transformer=perturb(tr), vae=perturb(vae, 0.0), scheduler=scheduler(sched)), [1, 7, 999, 3]


def run_diffusers(pipe, labels, noise, steps, guidance):
    import diffusers.pipelines.ddpm.pipeline_ddpm as ddpm_mod
    import diffusers.pipelines.dit.pipeline_dit as dit_mod
    fixed = lambda *a, **k: noise.clone()
    ddpm_mod.randn_tensor = fixed
    dit_mod.randn_tensor = fixed
    with torch.no_grad():
        if labels is None:
            out = pipe(batch_size=noise.shape[0], num_inference_steps=steps, output_type="np").images
        else:
            out = pipe(class_labels=labels, guidance_scale=guidance, num_inference_steps=steps, output_type="np").images
    return torch.from_numpy(out).permute(0, 3, 1, 2).float() * 2 - 1   # [0, 1] HWC -> [-1, 1] CHW


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--java", required=True, help="java command line with the classpath (test classes included)")
    ap.add_argument("--device", default="cpu")
    # DDPMPipeline neither scales its initial noise by init_noise_sigma nor calls scale_model_input, so it is only
    # meant for DDPM/DDIM-like schedulers; Euler and Heun are checked on their own by bench/diffusers_scheduler_parity.py
    ap.add_argument("--cases", default="ddpm-ddim,ddpm-dpm,dit-ddim,dit-dpm")
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    worst = 0.0
    for case in a.cases.split(","):
        d = os.path.join(a.out, case)
        os.makedirs(d, exist_ok=True)
        pipe, labels = build(case)
        pipe.save_pretrained(os.path.join(d, "pipeline"))
        c = pipe.unet.config if hasattr(pipe, "unet") else pipe.transformer.config
        g = torch.Generator().manual_seed(1)
        n = 4
        noise = torch.randn(n, c.in_channels, c.sample_size, c.sample_size, generator=g)
        guidance = 4.0 if labels is not None else 1.0
        ref = run_diffusers(pipe, labels, noise, a.steps, guidance)
        inputs = {"noise": noise, "steps": torch.tensor(float(a.steps)), "guidance": torch.tensor(guidance)}
        if labels is not None:
            inputs["labels"] = torch.tensor(labels, dtype=torch.float32)
        save_file(inputs, os.path.join(d, "inputs.safetensors"))
        save_file({"images": ref.contiguous()}, os.path.join(d, "reference.safetensors"))   # diffusers' images, for fixtures
        subprocess.run(shlex.split(a.java) + ["dev.diffusion4j.pipelines.PretrainedPipelineParity", d, a.device], check=True)
        ours = load_file(os.path.join(d, "java.safetensors"))["images"]
        rel = ((ours - ref).norm() / ref.norm()).item()
        worst = max(worst, rel)
        print(json.dumps({"case": case, "steps": a.steps, "guidance": guidance, "rel_l2": rel,
                          "max_abs": (ours - ref).abs().max().item(), "ref_std": ref.std().item()}))
    tol = 1e-3 if a.device == "cpu" else 1e-2
    print(f"worst rel L2 {worst:.2e} (tolerance {tol:.0e}):", "OK" if worst < tol else "MISMATCH")
    sys.exit(0 if worst < tol else 1)


if __name__ == "__main__":
    main()
