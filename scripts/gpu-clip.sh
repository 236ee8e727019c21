#!/bin/bash
# CLIP text encoder parity on the lent GPU machine (issue 20), from the repository root with the bundle in .device/gpu
# (scripts/gpu-bundle.sh: JRE, shaded jar, test classes, JUnit). Needs python3 with torch and transformers. Results go
# to $OUT/clip-parity.txt.
#   1. bench/clip_parity.py: the real CLIPTokenizer on the committed emoji vocabulary and 301 varied strings, and
#      random-weight CLIPTextModels (small quick_gelu, gelu, SD-1.x size) written with save_pretrained and run in fp32
#      and bf16 autocast
#   2. ClipTorchParity: our ids must equal CLIPTokenizer's; our ClipTextModel loads each save_pretrained folder
#      (config.json + model.safetensors, by name) and matches last_hidden_state and pooled on CUDA (fp32, bf16) and,
#      for the small model, on the CPU
#   3. ClipTextCudaParityTest (JUnit, tagged gpu): CPU vs CUDA forward and gradients of a small text encoder
set -uo pipefail
B=.device/gpu
OUT=${OUT:-/tmp/out}
V=data/captions/emoji-bpe-2048
S=src/test/resources/dev/diffusion4j/models/text/parity-strings.json
W=/tmp/d4j/clip
mkdir -p "$OUT" /tmp/d4j
[ -x /tmp/d4j/jre3/bin/java ] || tar xJf $B/jre.txz -C /tmp/d4j
J="/tmp/d4j/jre3/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx48g"
P="$J -cp $B/diffusion4j.jar:$B/tc dev.diffusion4j.models.text.ClipTorchParity"
export DIFFUSION4J_CACHE=/tmp/d4j/cache PYTHONUNBUFFERED=1
nvidia-smi -L
{
  python3 bench/clip_parity.py --vocab $V --strings $S --out $W --configs ${CONFIGS:-small,gelu,sd1} 2>&1 | grep -v -i warn
  $P ids $V $S $W/ids.json 2>&1 | grep -v WARNING
  for cfg in $(echo ${CONFIGS:-small,gelu,sd1} | tr , " "); do
    for pr in fp32 bf16; do $P model $W/$cfg cuda $pr 2>&1 | grep -v WARNING; done
  done
  [ -d $W/small ] && $P model $W/small cpu fp32 2>&1 | grep -v WARNING
  timeout 300 $J -jar $B/junit.jar execute --disable-banner --details=tree -cp $B/diffusion4j.jar:$B/tc \
    --select-class dev.diffusion4j.models.text.ClipTextCudaParityTest > "$OUT/clip-tests.log" 2>&1
  echo "ClipTextCudaParityTest rc=$?"; grep -E "✘" "$OUT/clip-tests.log" | head; grep -E "tests (successful|failed)" "$OUT/clip-tests.log"
} 2>&1 | tee "$OUT/clip-parity.txt"
