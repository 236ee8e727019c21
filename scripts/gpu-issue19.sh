#!/bin/bash
# Issue 19's U-Net side by side on the lent GPU machine, from the repository root with the bundle in .device/gpu
# (scripts/gpu-bundle.sh; an older jar to compare with in .device/gpu/bis/base.jar, optional): the GPU tests; a same-host
# A/B of the older jar and this one (ddpm-cifar10 b128 bf16); diffuse bench train beside ../shared/bench/ddpm_unet.py on
# ddpm-cifar10 b128 (bf16 + torch.compile, bf16, tf32), a second round of bf16 beside bf16 + torch.compile; then the A/B
# and torch.compile on fmnist-small b128; DiT-S/2 b256 (also with ln_mod_fwd instead of ln_mod_fwd_vec) beside torch.compile if less than DIT_BEFORE_S (400) seconds have
# passed. The most wanted first, in case the call's time runs out. About 310 s on an H100 without DiT (BENCHMARKS.md,
# "Channels-last"), about 130 s more with it.
B=.device/gpu; OUT=${OUT:-/tmp/out}; mkdir -p $OUT /tmp/d4j; T0=$(date +%s)
[ -x /tmp/d4j/jre3/bin/java ] || tar xJf $B/jre.txz -C /tmp/d4j
export DIFFUSION4J_CACHE=/tmp/d4j/cache PYTHONUNBUFFERED=1
el() { echo "## $(( $(date +%s) - T0 )) s: $*"; }
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
el tests
bash $B/gpu-run.sh tests 2>&1 | grep -v "^GPU" | tee $OUT/tests-summary.txt
grep -qE "\[ +0 tests failed" $OUT/tests-summary.txt || el "TESTS FAILED (the figures below are not landable)"
t() { python3 $B/bench/ddpm_unet.py --cfg $1 --batch 128 --modes $2 --steps 30 2>/dev/null | grep '^{' | sed "s/^/$3 torch /"; }
el ab
RUNS="$([ -f $B/bis/base.jar ] && echo bis/base) diffusion4j" CFGS="ddpm-cifar10:128" bash $B/gpu-ab.sh
el round1
t cifar bf16-compile r1; t cifar bf16 r1
RUNS=diffusion4j PRECISIONS=tf32 bash $B/gpu-ab.sh; t cifar tf32 r1
el round2
RUNS=diffusion4j bash $B/gpu-ab.sh | sed 's/^r1/r2/'; t cifar bf16-compile r2
el fmnist
RUNS="$([ -f $B/bis/base.jar ] && echo bis/base) diffusion4j" CFGS="fmnist-small:128" bash $B/gpu-ab.sh; t fmnist bf16-compile r1
if [ $(( $(date +%s) - T0 )) -lt ${DIT_BEFORE_S:-400} ]; then   # DiT-S/2 beside torch.compile, when the call has time left
  el dit
  RUNS="diffusion4j diffusion4j@-Ddiffusion4j.cuda.lnModVector=false" CFGS="dit-s/2:256" bash $B/gpu-ab.sh   # ln_mod_fwd_vec against ln_mod_fwd
  python3 $B/bench/dit.py --cfg S/2 --batch 256 --modes bf16-compile --steps 30 2>/dev/null | grep '^{' | sed "s/^/r1 torch /"
fi
el done
