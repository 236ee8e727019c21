#!/bin/bash
# diffusers DiT folders in and out (issue 16) on the lent GPU machine, from the repository root with the bundle in
# .device/gpu (scripts/gpu-bundle.sh: JRE, shaded jar, test classes) and the diffusers source in .device/diffusers (its
# src/ goes on PYTHONPATH). bench/diffusers_dit_parity.py is read from the checkout. Results go to $OUT/diffusers-dit-parity.txt.
#   1. diffusers -> Java: random small DiTTransformer2DModel / Transformer2DModel configs saved with save_pretrained,
#      loaded by DiffusersDiTFolder; outputs compared in f32 (TF32 off) and bf16 autocast, on cuda
#   2. Java -> diffusers: DiTs exported by DiffusersDiTFolder, loaded by DiTTransformer2DModel.from_pretrained; diffusers'
#      outputs compared with Java's forward of the exported model (f32 and bf16), and the export's distance to the DiT
source "$(dirname "$0")/gpu-env.sh"
need_diffusers
D=/tmp/d4j/ddit
rm -rf $D
{
  python3 bench/diffusers_dit_parity.py make --out $D/in --device cuda --dtype float32,bfloat16 2>&1 | grep -v -i warn
  $J -cp $CP dev.diffusion4j.models.dit.DiffusersDiTParity load $D/in cuda 2>&1 | grep -v WARNING
  echo "DiffusersDiTParity load rc=${PIPESTATUS[0]}"
  $J -cp $CP dev.diffusion4j.models.dit.DiffusersDiTParity export $D/out cuda 2>&1 | grep -v WARNING
  python3 bench/diffusers_dit_parity.py reverse --dir $D/out --device cuda --dtype float32,bfloat16 2>&1 | grep -v -i "warn\|accelerate\|^\`\`\`\|^\.$"
  echo "diffusers_dit_parity.py reverse rc=${PIPESTATUS[0]}"
} | tee "$OUT/diffusers-dit-parity.txt"
