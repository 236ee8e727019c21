#!/bin/bash
# Latent diffusion on real RGBA images (issues 15 and 20) on the lent GPU machine, from the repository root, with the
# bundle in .device/gpu (scripts/gpu-bundle.sh) and the emoji folder in .device/emoji, made here by
#   cd /tmp && npm pack emoji-datasource-google@16.0.0
#   python3 scripts/emoji_folder.py /tmp/emoji-datasource-google-16.0.0.tgz --out .device/emoji
# (3,786 64x64 RGBA PNGs + metadata.jsonl captions; diffuse composites them on white when it loads them).
#   scripts/gpu-emoji.sh ae     train the kl-f4 autoencoder (64x64 RGB -> 16x16x4), reconstruct 512 images (PSNR,
#                               SSIM, grid), export it as a diffusers folder and reconstruct 64 images with diffusers
#                               itself (bench/vae_export_check.py; diffusers source in .device/diffusers/src) beside ours
#   scripts/gpu-emoji.sh text   ae, then a text-conditioned latent U-Net on its cached latents, trained on every
#                               caption except the held-out ones (HELD_OUT below), then those prompts sampled
#   scripts/gpu-emoji.sh sr     cascaded super-resolution in pixel space (issue 20): a 16x16 base model and a 16 -> 64
#                               stage trained on every image except 64 held out; the held-out images are upscaled from
#                               their 16x16 versions (PSNR against the originals beside bilinear and bicubic), and base
#                               samples are chained through the stage
# Results (logs, grids, metrics) go to $OUT. Step counts: AE_STEPS, LDM_STEPS, BASE_STEPS, SR_STEPS; LDM_TIMEOUT (s);
# GUIDANCE (text mode's sampling scales, e.g. "3 5"); AE_CHECKS=0 skips the autoencoder's reconstruction checks.
[ -f .device/emoji/metadata.jsonl ] || { echo "no .device/emoji/metadata.jsonl: see the header of $0" >&2; exit 1; }
XMX=24g source "$(dirname "$0")/gpu-env.sh"
W=/tmp/d4j/emoji
mkdir -p "$W"
D="$J -cp $B/diffusion4j.jar dev.diffusion4j.cli.Main"
AE=$W/ae
# Held-out prompts: skin-tone variants whose emoji and tone are both seen in training, only not together.
HELD_OUT=("thumbs up sign, people and body (dark skin tone)" "waving hand sign, people and body (light skin tone)"
  "person raising both hands in celebration, people and body (medium-dark skin tone)" "ok hand sign, people and body (medium skin tone)")

train_ae() {
  rm -rf "$AE"
  timeout 150 $D train-autoencoder --preset kl-f4 --data .device/emoji --image-size 64 --out $AE --steps ${AE_STEPS:-3000} \
    --batch-size 32 --lr 2e-4 --precision bf16 --device cuda --sample-every 1000 --checkpoint-every 1000 --log-every 100 \
    2>&1 | grep -v WARNING | grep -v '\[.*%' | tail -12
  [ "${AE_CHECKS:-1}" = 0 ] && return 0   # text runs that need the device time for the latent model skip the checks below
  timeout 120 $D reconstruct --run $AE --count 512 --out "$OUT/emoji-reconstruct.png" --device cuda 2>&1 | grep -v WARNING | tail -4
  # the exported diffusers folder, read by diffusers itself, reconstructing the same first 64 images as ours
  $D export --run $AE --format diffusers $W/ae-diffusers 2>&1 | grep -v WARNING | head -1
  timeout 60 $D reconstruct --run $AE --count 64 --device cuda 2>&1 | grep PSNR | sed 's/^/diffuse reconstruct, 64 images: /'
  PYTHONPATH=$PWD/.device/diffusers/src${PYTHONPATH:+:$PYTHONPATH} timeout 90 python3 bench/vae_export_check.py $W/ae-diffusers \
    .device/emoji --count 64 2>&1 | grep -v -i warn
  grep -E '"step": ?(500|1000|1500|2000|3000),' $AE/metrics.jsonl | cut -c1-200
}

case "${1:-ae}" in
  ae) train_ae 2>&1 | tee "$OUT/emoji-ae.txt" ;;
  text)
    {
      train_ae
      # the training folder: every image except those of the held-out captions
      python3 - "${HELD_OUT[@]}" <<'EOF'
import json, os, shutil, sys
held = set(sys.argv[1:]); src = ".device/emoji"; dst = "/tmp/d4j/emoji/train"
os.makedirs(dst, exist_ok=True); kept = 0; found = set()
with open(os.path.join(src, "metadata.jsonl")) as f, open(os.path.join(dst, "metadata.jsonl"), "w") as out:
    for line in f:
        e = json.loads(line)
        if e["text"] in held: found.add(e["text"]); continue
        shutil.copy(os.path.join(src, e["file_name"]), os.path.join(dst, e["file_name"]))
        out.write(line); kept += 1
print(f"training folder: {kept} images; held out {len(found)} of {len(held)} prompts: missing {sorted(held - found)}")
EOF
      timeout ${LDM_TIMEOUT:-480} $D train --autoencoder $AE --data $W/train --image-size 64 --preset ddpm-cifar10 --text-encoder text-tiny \
        --vocab data/captions/emoji-bpe-2048 --out $W/ldm --steps ${LDM_STEPS:-6000} --batch-size 128 --lr 2e-4 --precision bf16 \
        --device cuda --sample-every 2500 --checkpoint-every 1000 --log-every 100 --grid-size 16 2>&1 | grep -v WARNING | grep -v '\[.*%' | tail -12
      # one grid: a row of 8 per prompt, the held-out ones first, then two seen in training
      P=(); for p in "${HELD_OUT[@]}" "grinning face, smileys and emotion" "red apple, food and drink"; do P+=(--prompt "$p"); done
      for g in ${GUIDANCE:-3}; do
        timeout 90 $D sample --run $W/ldm "${P[@]}" --count 48 --guidance $g --grid "$OUT/emoji-prompts-g$g.png" --device cuda 2>&1 \
          | grep -v WARNING | tail -2
      done
      grep -E '"step": ?(100|1000|2000|3000|4000|5000|6000),' $W/ldm/metrics.jsonl | cut -c1-200
      cp "$(ls $W/ldm/samples/*.png | tail -1)" "$OUT/emoji-ldm-grid.png"
    } 2>&1 | tee "$OUT/emoji-text.txt" ;;
  sr)
    {
      # 64 held-out images (every 59th) that neither stage sees; their 16x16 area-downsampled versions are the inputs
      python3 - <<'EOF'
import json, os, shutil
from PIL import Image
src = ".device/emoji"; dst = "/tmp/d4j/emoji/sr-train"; held = "/tmp/d4j/emoji/sr-held"
for d in (dst, held, held + "-16"): os.makedirs(d, exist_ok=True)
names = sorted(json.loads(l)["file_name"] for l in open(os.path.join(src, "metadata.jsonl")))
kept = 0
for i, n in enumerate(names):
    if i % 59 == 0 and i // 59 < 64:
        # on white, as diffuse's loader composites RGBA for RGB models
        rgba = Image.open(os.path.join(src, n)).convert("RGBA")
        im = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
        im.save(os.path.join(held, n))
        im.resize((16, 16), Image.BOX).save(os.path.join(held + "-16", n))
    else:
        shutil.copy(os.path.join(src, n), os.path.join(dst, n)); kept += 1
print(f"sr training folder: {kept} images; held out {len(os.listdir(held))}")
EOF
      timeout 110 $D train --data $W/sr-train --image-size 16 --preset ddpm-cifar10 --no-class-conditional --out $W/base16 \
        --steps ${BASE_STEPS:-3000} --batch-size 128 --lr 2e-4 --precision bf16 --device cuda --sample-every 1000 \
        --checkpoint-every 500 --log-every 100 --sampler ddim --sample-steps 50 2>&1 | grep -v WARNING | grep -v '\[.*%' | tail -4
      timeout 300 $D train --task super-resolution --low-res 16 --data $W/sr-train --image-size 64 --preset ddpm-cifar10 \
        --out $W/sr16-64 --steps ${SR_STEPS:-4000} --batch-size 64 --lr 1e-4 --precision bf16 --device cuda --sample-every 1000 \
        --checkpoint-every 500 --log-every 100 --sampler ddim --sample-steps 50 2>&1 | grep -v WARNING | grep -v '\[.*%' | tail -4
      grep -E '"step": ?(100|1000|2000|3000|4000),' $W/sr16-64/metrics.jsonl | cut -c1-220
      timeout 60 $D upscale --run $W/sr16-64 --input $W/sr-held-16 --out $W/up --device cuda 2>&1 | grep -v WARNING | tail -2
      cp $W/up/comparison.png "$OUT/emoji-sr-held-out.png"
      python3 - <<'EOF'
import os, numpy as np
from PIL import Image
held = "/tmp/d4j/emoji/sr-held"; up = "/tmp/d4j/emoji/up"
def psnr(a, b): return 10 * np.log10(255.0 ** 2 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
rows = {"diffusion SR stage": [], "bilinear": [], "bicubic": []}
for n in sorted(os.listdir(held)):
    ref = np.asarray(Image.open(os.path.join(held, n)).convert("RGB"))
    low = Image.open(os.path.join(held + "-16", n)).convert("RGB")
    outs = [f for f in os.listdir(up) if f.startswith(os.path.splitext(n)[0] + "-")]
    if not outs: continue
    rows["diffusion SR stage"].append(psnr(np.asarray(Image.open(os.path.join(up, outs[0])).convert("RGB")), ref))
    rows["bilinear"].append(psnr(np.asarray(low.resize((64, 64), Image.BILINEAR)), ref))
    rows["bicubic"].append(psnr(np.asarray(low.resize((64, 64), Image.BICUBIC)), ref))
for k, v in rows.items(): print(f"held-out 16->64 PSNR, {k}: {np.mean(v):.2f} dB over {len(v)} images")
EOF
      timeout 60 $D sample --run $W/base16 --upscale $W/sr16-64 --count 16 --grid "$OUT/emoji-base16-sr64.png" --device cuda 2>&1 \
        | grep -v WARNING | tail -2
      cp "$(ls $W/sr16-64/samples/*.png | tail -1)" "$OUT/emoji-sr-grid.png"
    } 2>&1 | tee "$OUT/emoji-sr.txt" ;;
  *) echo "unknown mode '$1': use ae, text or sr" >&2; exit 2 ;;
esac
