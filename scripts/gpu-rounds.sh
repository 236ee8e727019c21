#!/bin/bash
# Issue 19's side-by-side rounds on the lent GPU machine, from the repository root with the bundle in .device/gpu
# (scripts/gpu-bundle.sh): `diffuse bench train` (bf16) beside ../shared/bench's torch.compile twin (bf16-compile), ROUNDS
# times (default 2), ours then PyTorch in each round; in round 1 also the RUNS_R1 variants (jar[@-Dprop=value], as
# scripts/gpu-ab.sh takes them), e.g. the session's starting jar in .device/gpu/bis/start.jar.
#   PART=tests  every GPU test first (scripts/gpu-run.sh tests), then the rounds
#   CFGS        preset:batch entries (default "dit-s/2:256 dit-b/2:256"; U-Nets: "fmnist-small:128 ddpm-cifar10:128")
#   RUNS_ALL    variants (as RUNS_R1) run in every round, beside diffusion4j
#   RUNS_R1="bis/start diffusion4j@-Ddiffusion4j.autocast.castParameters=true" CFGS=... bash scripts/gpu-rounds.sh
B=.device/gpu; OUT=${OUT:-/tmp/out}; mkdir -p $OUT; T0=$(date +%s)
el() { echo "## $(( $(date +%s) - T0 )) s: $*"; }
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
if [ "${PART:-}" = tests ]; then el all GPU tests; bash $B/gpu-run.sh tests 2>&1 | grep -v "^GPU"; fi
for r in $(seq 1 ${ROUNDS:-2}); do
  for cfg in ${CFGS:-dit-s/2:256 dit-b/2:256}; do
    preset=${cfg%%:*}; batch=${cfg##*:}
    el "round $r $preset b$batch"
    RUNS="diffusion4j ${RUNS_ALL:-} $([ $r = 1 ] && echo "${RUNS_R1:-}")" CFGS="$cfg" ROUNDS=1 bash $B/gpu-ab.sh | sed "s/^r1 /r$r /"
    case $preset in
      dit-*) tcfg=$(echo ${preset#dit-} | tr 'a-z' 'A-Z'); cmd="$B/bench/dit.py --cfg $tcfg" ;;
      fmnist-small) cmd="$B/bench/ddpm_unet.py --cfg fmnist" ;;
      ddpm-cifar10) cmd="$B/bench/ddpm_unet.py --cfg cifar" ;;
    esac
    timeout 240 python3 $cmd --batch $batch --modes bf16-compile --steps 30 2>/dev/null | grep '^{' | sed "s/^/r$r torch /"
  done
done | tee -a $OUT/rounds.txt
el done
