#!/bin/bash
# The diffusers / transformers interoperability checks of issue 16 on this machine's CPU in float32: what
# scripts/gpu-interop-all.sh and gpu-unet2d.sh run on the GPU machine, for a machine without one. From the repository
# root, after `mvn -q -o package -DskipTests && mvn -q -o test-compile`. Needs a Python with torch 2.x, transformers,
# safetensors and numpy (PYTHON, default python3) and the diffusers source (DIFFUSERS_SRC: its src/ folder).
#   JAVA: a Java 25 (default java). SD=1 also runs the full-size SD 1.x U-Net (859,520,964 parameters) for 5 guided DDIM steps at batch 1 on both sides
#   (about 12 minutes and 8 GB on a 2-core machine). Results are printed; the exit status is 1 when a check fails.
set -uo pipefail
: "${DIFFUSERS_SRC:?set DIFFUSERS_SRC to the src folder of a diffusers checkout}"
PY=${PYTHON:-python3}
export PYTHONPATH=$DIFFUSERS_SRC${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
[ -f /tmp/d4j-cp.txt ] || mvn -q -o dependency:build-classpath -Dmdep.outputFile=/tmp/d4j-cp.txt
J="${JAVA:-java} --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx${XMX:-14g} -cp target/classes:target/test-classes:$(cat /tmp/d4j-cp.txt)"
W=${WORK:-/tmp/d4j-interop}
rm -rf "$W"; mkdir -p "$W"
NOISE="accelerate\|^\`\`\`\|^\.$\|torchvision\|Loading\|should be kept\|WARNING\|deprecat"
rc=0
check() { local name=$1; shift; echo "== $name"; "$@" 2>&1 | grep -v "$NOISE"; [ "${PIPESTATUS[0]}" = 0 ] || { rc=1; echo "== $name FAILED"; }; }
check "pipelines (DDPM, DiT; DDIM, DPM-Solver++)" $PY bench/diffusers_pipeline_parity.py --out $W/pipe --device cpu --java "$J"
check "schedulers (the CI fixture recomputed)" $PY bench/diffusers_scheduler_parity.py --check src/test/resources/diffusers/scheduler_parity.json --device cpu
check "U-Net folders both ways" $PY bench/diffusers_unet_parity.py run --out $W/unet2d --device cpu --dtype float32 --java "$J"
check "U-Net run exports" bash -c "$J dev.diffusion4j.interop.diffusers.UNetExportFixtures $W/unet-export cpu && $PY bench/diffusers_unet_export_check.py $W/unet-export --device cpu"
check "Stable Diffusion exports (CLIPTokenizer, CLIPTextModel, StableDiffusionPipeline.from_pretrained)" \
  bash -c "$J dev.diffusion4j.interop.diffusers.StableDiffusionExportFixtures $W/sd-export cpu && $PY bench/diffusers_sd_export_check.py $W/sd-export --tol 1e-4"
check "DiT folders both ways" bash -c "$PY bench/diffusers_dit_parity.py make --out $W/dit/in --device cpu --dtype float32 \
  && $J dev.diffusion4j.models.dit.DiffusersDiTParity load $W/dit/in cpu && $J dev.diffusion4j.models.dit.DiffusersDiTParity export $W/dit/out cpu \
  && $PY bench/diffusers_dit_parity.py reverse --dir $W/dit/out --device cpu --dtype float32"
if [ "${SD:-0}" = 1 ]; then
  check "SD 1.x U-Net, 5 DDIM steps with guidance 7.5" $PY bench/sd_pipeline_parity.py parity --out $W/sd --layout sd1 --device cpu \
    --dtype float32 --batch 1 --java "$J"
fi
echo "== all checks $([ $rc = 0 ] && echo passed || echo 'did not pass')"
exit $rc
