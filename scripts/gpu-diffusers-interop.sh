#!/bin/bash
# diffusers interoperability checks of issue 16 (scheduler configs, U-Net export) on the lent GPU machine, from the
# repository root with the bundle in .device/gpu (scripts/gpu-bundle.sh: JRE, shaded jar, test classes) and the diffusers
# source in .device/diffusers (its src/ goes on PYTHONPATH). bench/*.py are read from the checkout. Results go to $OUT.
#   1. bench/diffusers_scheduler_parity.py --check: diffusers' DDIM / Euler / Euler ancestral / Heun / DPM-Solver / PNDM
#      runs recomputed on the GPU (f32) against the committed fixture that SchedulerParityTest replays in Java
#   2. UNetExportFixtures (Java, forward on cuda): five small U-Nets written as DDPMPipeline folders with our outputs;
#      bench/diffusers_unet_export_check.py loads each with UNet2DModel / DDPMPipeline.from_pretrained and compares,
#      in f32 and in bf16
#   3. StableDiffusionExportFixtures (Java, on cuda): small latent text-to-image models written as StableDiffusionPipeline
#      folders with our outputs and images; bench/diffusers_sd_export_check.py compares UNet2DConditionModel, AutoencoderKL,
#      DDIMScheduler, CLIPTokenizer, CLIPTextModel and StableDiffusionPipeline.from_pretrained (f32; bf16 at tolerance 0.1)
source "$(dirname "$0")/gpu-env.sh"
need_diffusers
rc=0
python3 bench/diffusers_scheduler_parity.py --check src/test/resources/diffusers/scheduler_parity.json --device cuda 2>&1 \
  | grep -v Warning | tee "$OUT/scheduler-parity.txt"; [ "${PIPESTATUS[0]}" = 0 ] || rc=1
dir=/tmp/d4j/unet-export
rm -rf $dir
$J -cp $CP dev.diffusion4j.interop.diffusers.UNetExportFixtures $dir cuda 2>&1 | grep -v WARNING | tee "$OUT/unet-export.txt"
for dt in float32 bfloat16; do
  python3 bench/diffusers_unet_export_check.py $dir --device cuda --dtype $dt 2>&1 | grep -E "vs ours|exported|cannot be imported" \
    | tee -a "$OUT/unet-export.txt"; [ "${PIPESTATUS[0]}" = 0 ] || rc=1
done
dir=/tmp/d4j/sd-export
rm -rf $dir
$J -cp $CP dev.diffusion4j.interop.diffusers.StableDiffusionExportFixtures $dir cuda 2>&1 | grep -v WARNING | tee "$OUT/sd-export.txt"
for dt in float32 bfloat16; do
  tol=$([ $dt = float32 ] && echo 1e-4 || echo 0.1)
  python3 bench/diffusers_sd_export_check.py $dir --device cuda --dtype $dt --tol $tol 2>&1 | grep -E "^[a-z0-9-]+ +unet|exported|not importable" \
    | tee -a "$OUT/sd-export.txt"; [ "${PIPESTATUS[0]}" = 0 ] || rc=1
done
exit $rc
