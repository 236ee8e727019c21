#!/bin/bash
# diffusers U-Nets on the lent GPU machine (issue 16), from the repository root with the bundle in .device/gpu
# (scripts/gpu-bundle.sh: JRE, shaded jar, test classes with the U-Net fixture folders) and the diffusers source in
# .device/diffusers (its src/ goes on PYTHONPATH). bench/diffusers_unet_parity.py and bench/sd_pipeline_parity.py are
# read from the checkout. Results go to $OUT.
#   scripts/gpu-unet2d.sh parity  UNet2DModel / UNet2DConditionModel both ways (diffusers save_pretrained -> Java loads,
#                                 Java saves -> diffusers from_pretrained), six small configs, f32 and bf16 autocast;
#                                 then UNet2DCudaParityTest (the CI fixture folders on CUDA)
#   scripts/gpu-unet2d.sh sd      the SD 1.x-layout U-Net (859,520,964 parameters, random weights) + SD's DDIM config:
#                                 5 steps, guidance 7.5, batch 2, 64x64 latents: Java vs diffusers latents, f32 and bf16
#   scripts/gpu-unet2d.sh bench   50 DDIM steps with guidance 7.5 at 512x512, batch 1 and 4 (BATCHES), bf16: Java beside
#                                 diffusers eager (bf16 weights), eager autocast and torch.compile (MODES picks among them)
XMX=48g source "$(dirname "$0")/gpu-env.sh"
need_diffusers

case "${1:-parity}" in
  parity)
    python3 bench/diffusers_unet_parity.py run --out /tmp/d4j/unet2d-parity --device cuda --dtype float32,bfloat16 \
      --java "$J -cp $CP" 2>&1 | grep -v "Warning\|WARNING\|accelerate\|^\`\`\`\|^\.$" | tee "$OUT/unet2d-parity.txt"
    echo "diffusers_unet_parity rc=${PIPESTATUS[0]}" | tee -a "$OUT/unet2d-parity.txt"
    timeout 300 $J -jar $B/junit.jar execute --disable-banner --details=tree -cp $CP \
      --select-class dev.diffusion4j.models.unet2d.UNet2DCudaParityTest > "$OUT/unet2d-cuda-tests.log" 2>&1
    echo "UNet2DCudaParityTest rc=$?" | tee -a "$OUT/unet2d-parity.txt"; grep -E "on cuda|✘|tests (successful|failed)" "$OUT/unet2d-cuda-tests.log"
    ;;
  sd)
    python3 bench/sd_pipeline_parity.py parity --out /tmp/d4j/sd-parity --layout sd1 --device cuda --dtype float32,bfloat16 \
      --java "$J -cp $CP" 2>&1 | grep -v "Warning\|WARNING\|accelerate\|^\`\`\`\|^\.$" | tee "$OUT/sd-parity.txt"
    echo "sd_pipeline_parity rc=${PIPESTATUS[0]}" | tee -a "$OUT/sd-parity.txt"
    rm -rf /tmp/d4j/sd-parity
    ;;
  bench)
    python3 bench/sd_pipeline_parity.py bench --device cuda --batches ${BATCHES:-1,4} --steps ${STEPS:-50} --modes ${MODES:-eager_bf16,autocast,compile_bf16} --java "$J -cp $CP" 2>&1 \
      | grep -v "Warning\|WARNING" | tee "$OUT/sd-bench.log" | grep '^{' | tee "$OUT/sd-bench.txt"
    ;;
  *) echo "unknown mode '$1': use parity, sd or bench" >&2; exit 2 ;;
esac
