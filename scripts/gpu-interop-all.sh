#!/bin/bash
# One device call for the interoperability and LPIPS checks (issues 15 and 16), each under its own time limit, most
# important first. From the repository root with the bundle in .device/gpu (scripts/gpu-bundle.sh) and the diffusers
# source as .device/dsrc/diffusers-src.txz (extracted here to .device/diffusers). Results: $OUT/*.txt.
set -uo pipefail
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/d4j .device/diffusers
[ -d .device/diffusers/src/diffusers ] || tar xJf .device/dsrc/diffusers-src.txz -C .device/diffusers
[ -x /tmp/d4j/jre3/bin/java ] || tar xJf .device/gpu/jre.txz -C /tmp/d4j
J="/tmp/d4j/jre3/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g"
step() { local t=$1; shift; echo "== $* (limit ${t}s)"; timeout "$t" "$@"; echo "== rc=$?"; }
step ${T_LPIPS:-100} bash scripts/gpu-lpips.sh 2>&1 | grep -v WARNING | tail -25
step ${T_PIPE:-70} env PYTHONPATH=$PWD/.device/diffusers/src python3 bench/diffusers_pipeline_parity.py --out /tmp/d4j/pipeline-parity \
  --device cuda --java "$J -cp .device/gpu/diffusion4j.jar:.device/gpu/tc" 2>&1 | grep '^{\|worst\|Error' | tee "$OUT/pipeline-parity.txt"
step ${T_DIT:-80} bash scripts/gpu-diffusers-dit.sh 2>&1 | grep -v WARNING | tail -20
step ${T_UNET:-80} bash scripts/gpu-unet2d.sh parity 2>&1 | grep -v WARNING | tail -20
step ${T_INTEROP:-60} bash scripts/gpu-diffusers-interop.sh 2>&1 | grep -v WARNING | tail -20
