#!/bin/bash
# Runs on the lent GPU machine from the repository root, with the bundle in .device/gpu (built by
# scripts/gpu-bundle.sh: jlink'd JRE, shaded jar, the parity main, Fashion-MNIST, the PyTorch reference).
#   scripts/gpu-run.sh check   U-Net step parity CPU vs CUDA, a short GPU training smoke run
#   scripts/gpu-run.sh tests   the GPU test classes (CUDA package, U-Net parity) through JUnit; parity table in $OUT;
#                              TEST_OPTS adds JVM options (e.g. -Ddiffusion4j.cuda.attentionBackwardPipeline=true)
#   scripts/gpu-run.sh bench   diffuse bench train beside ../shared/bench/ddpm_unet.py, same machine, same call: per
#                              model and batch each precision in its own JVM, then PyTorch; ROUNDS (default "1 2") times,
#                              PRECISIONS (default "fp32 tf32 bf16"), TORCH_MODES (default: PRECISIONS; bf16-compile adds
#                              torch.compile), CFGS (e.g. "ddpm-cifar10:cifar:128")
#   scripts/gpu-run.sh profile where a U-Net training step's and sampling forward's GPU time goes (PRESET, BATCH, PRECISION,
#                              TORCH_MODES): our per-call CUDA-event report, then bench/unet_profile.py's torch.profiler tables
#   scripts/gpu-run.sh train   Fashion-MNIST fmnist-small training on the GPU, then sample and eval
set -uo pipefail
B=.device/gpu
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/d4j
[ -x /tmp/d4j/jre3/bin/java ] || tar xJf $B/jre.txz -C /tmp/d4j
J="/tmp/d4j/jre3/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g -XX:+ExplicitGCInvokesConcurrent"
D="$J -cp $B/diffusion4j.jar dev.diffusion4j.cli.Main"
export DIFFUSION4J_CACHE=/tmp/d4j/cache PYTHONUNBUFFERED=1
nvidia-smi -L
case "${1:-check}" in
  check)
    $J -cp $B/diffusion4j.jar:$B/tc dev.diffusion4j.models.UNetStepParity cuda 1e-4 2>&1 | grep -v WARNING
    $D train --data $B/fmnist --preset fmnist-small --out /tmp/smoke --steps 30 --batch-size 64 --log-every 10 \
       --sample-every 30 --checkpoint-every 30 --grid-size 16 --sample-steps 10 --device cuda 2>&1 | grep -v WARNING | tail -8
    $D sample --run /tmp/smoke --count 8 --steps 5 --device cuda 2>&1 | tail -2
    ;;
  tests)
    timeout 300 $J ${TEST_OPTS:-} -jar $B/junit.jar execute --disable-banner --details=tree -cp $B/diffusion4j.jar:$B/tc \
      --select-package dev.diffusion4j.engine.cuda --select-class dev.diffusion4j.models.UNetCudaParityTest \
      --select-class dev.diffusion4j.models.DiTCudaParityTest --select-class dev.diffusion4j.engine.AutocastCastCacheTest \
      --select-class dev.diffusion4j.train.TrainingGraphGpuTest > "$OUT/tests.log" 2>&1
    echo "tests rc=$?"; grep -E "✘" "$OUT/tests.log" | head; grep -E "tests (successful|failed)" "$OUT/tests.log"
    ;;
  bench)
    for round in ${ROUNDS:-1 2}; do
      for cfg in ${CFGS:-fmnist-small:fmnist:128 fmnist-small:fmnist:32 ddpm-cifar10:cifar:128}; do
        set -- ${cfg//:/ }
        P="${PRECISIONS:-fp32 tf32 bf16}"
        for pr in $P; do
          $D bench train --preset $1 --batch $3 --precision $pr --steps 30 --warmup 10 --sample-batch 256 --sample-iters 20 \
            --device cuda 2>&1 | grep '^{' | sed "s/^/r$round java /"
        done
        TM=${TORCH_MODES:-${P// /,}}
        for m in ${TM//,/ }; do   # one process per mode: a torch.compile run does not share its process with the others
          python3 $B/bench/ddpm_unet.py --cfg $2 --batch $3 --modes $m --steps 30 2>/dev/null | grep '^{' | sed "s/^/r$round torch /"
        done
      done
    done | tee "$OUT/bench.txt"
    ;;
  profile)
    PRESET=${PRESET:-ddpm-cifar10}; cfg=$([ $PRESET = ddpm-cifar10 ] && echo cifar || echo fmnist)
    $J -Ddiffusion4j.cuda.profile=gpu -cp $B/diffusion4j.jar dev.diffusion4j.cli.Main bench train --preset $PRESET --batch ${BATCH:-128} \
      --precision ${PRECISION:-bf16} --steps ${PSTEPS:-10} --warmup 5 --sample-iters ${PSTEPS:-10} --sample-batch 256 --device cuda 2>&1 \
      | grep -v WARNING > "$OUT/unet-profile.txt"
    head -${LINES_SHOWN:-80} "$OUT/unet-profile.txt"
    for m in ${TORCH_MODES:-bf16 bf16-compile}; do
      python3 $B/bench/unet_profile.py --cfg $cfg --batch ${BATCH:-128} --mode $m 2>/dev/null > "$OUT/unet-profile-torch-$m.txt"
      head -${LINES_SHOWN:-80} "$OUT/unet-profile-torch-$m.txt"
    done
    ;;
  train)
    STEPS=${STEPS:-3000}
    $J -cp $B/diffusion4j.jar dev.diffusion4j.cli.Main train --data $B/fmnist --preset fmnist-small --precision ${PRECISION:-tf32} \
      --out /tmp/fmnist --steps $STEPS --batch-size 128 --lr 2e-4 --warmup 200 --ema-decay 0.999 --log-every 100 \
      --no-class-conditional --weighting none \
      --sample-every $STEPS --checkpoint-every $STEPS --grid-size 64 --sample-steps 50 --device cuda 2>&1 | grep -v WARNING | tail -6
    $D eval --run /tmp/fmnist --split test --count 256 --batch-size 256 --device cuda 2>&1 | grep -v WARNING | tail -3
    cp /tmp/fmnist/samples/step-*.png "$OUT/fmnist-grid.png"; cp /tmp/fmnist/metrics.jsonl /tmp/fmnist/config.json "$OUT/"
    ;;
esac
