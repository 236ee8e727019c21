#!/bin/bash
# One device call for the interoperability and LPIPS checks (issues 15 and 16), each under its own time limit, most
# important first. From the repository root with the bundle in .device/gpu (scripts/gpu-bundle.sh) and the diffusers
# source as .device/dsrc/diffusers-src.txz (scripts/gpu-env.sh unpacks it to .device/diffusers). Results: $OUT/*.txt.
source "$(dirname "$0")/gpu-env.sh"
need_diffusers
# SKIP="lpips unet ..." leaves out the named steps (names: lpips pipeline dit unet interop)
step() {
  local name=$1 t=$2; shift 2
  case " ${SKIP:-} " in *" $name "*) echo "== $name skipped (SKIP)"; return 0 ;; esac
  echo "== $name: $* (limit ${t}s)"; timeout "$t" "$@"; echo "== $name rc=$?"
}
step lpips ${T_LPIPS:-100} bash scripts/gpu-lpips.sh 2>&1 | grep -v WARNING | tail -25
step pipeline ${T_PIPE:-70} python3 bench/diffusers_pipeline_parity.py --out /tmp/d4j/pipeline-parity --device cuda --java "$J -cp $CP" 2>&1 | grep '^{\|worst\|Error' | tee "$OUT/pipeline-parity.txt"
step dit ${T_DIT:-80} bash scripts/gpu-diffusers-dit.sh 2>&1 | grep -v WARNING | tail -20
step unet ${T_UNET:-80} bash scripts/gpu-unet2d.sh parity 2>&1 | grep -v WARNING | tail -20
step interop ${T_INTEROP:-150} bash scripts/gpu-diffusers-interop.sh 2>&1 | grep -v WARNING | tail -20
