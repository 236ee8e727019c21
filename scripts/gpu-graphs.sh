#!/bin/bash
# CUDA graphs for the sampling forwards, the training steps (tenth session) and the pipelined attention (ninth session), on the lent GPU machine from the
# repository root with the bundle in .device/gpu (scripts/gpu-bundle.sh): CudaGraphTest first, then the parts PART
# lists (default unet), bf16 (the tests first, TESTS classes under dev.diffusion4j; default CudaGraphTest,
# TrainingGraphGpuTest, CudaAttentionTest, CudaFusedBiasTest, CudaLayerNormModulateTest, CudaGatedResidualTest,
# CudaIndexAddTest, DiTCudaParityTest):
#   unet    fmnist-small and ddpm-cifar10 b128, graphs on and off (-Ddiffusion4j.cuda.graphs=false), torch.compile
#   dit     DiT-S/2 b256: as is, attention kernels single-buffered, ln_mod_fwd instead of ln_mod_fwd_vec; torch.compile
#   ditab   DiT-S/2 b256: the backward attention kernels pipelined (the default) or not, ROUNDS times (default 1), no
#           torch.compile
#   sample  diffuse sample as a user runs it, with and without --no-cuda-graphs
#   train   training-step graphs on (the default since the thirteenth session) and off (-Ddiffusion4j.cuda.trainingGraphs=false;
#           sampling graphs on in both):
#           fmnist-small and ddpm-cifar10 b128 (UNETS=fmnist-small:fmnist for the first only) beside torch.compile (TORCH=0
#           skips it), then DiT-S/2 b256 without it (DIT=0 skips it)
#   ditbase DiT-S/2 b256: .device/gpu/bis/base.jar against this jar, and without the bias-gradient epilogue (DIT_RUNS
#           sets the runs; DIT_TORCH=1 adds torch.compile)
#   cudnn   DiT-S/2 b256: attention through cuDNN's flash engines (the default) or the attention_mma kernels
#           (-Ddiffusion4j.cuda.cudnnAttention=false), ROUNDS times (default 1), with -Ddiffusion4j.cudnn.log=true; torch.compile once
#   dgelu   DiT-S/2 and B/2 b256: GELU's input gradient in cuBLASLt's DGELU epilogue
#           (-Ddiffusion4j.cuda.geluGradientEpilogue=true, on by default since the fourteenth session) against the composed ops,
#           ROUNDS times (default 1); TESTS="engine.cuda.CudaFusedBiasTest models.DiTCudaParityTest" for the checks
#   casts   parameters cast together under autocast (Autocast.castParameters, on by default): run with
#           TESTS="engine.AutocastCastCacheTest train.TrainingGraphGpuTest" for the checks, then CAST_CFGS (default
#           fmnist-small and ddpm-cifar10 b128 and DiT-S/2 b256), on against off, ROUNDS times (default 1)
#   tests   all GPU tests (scripts/gpu-run.sh tests; SKIP_GRAPH_TESTS=1 then skips the CudaGraphTest run before)
B=.device/gpu; OUT=${OUT:-/tmp/out}; mkdir -p $OUT /tmp/d4j; T0=$(date +%s)
[ -x /tmp/d4j/jre3/bin/java ] || tar xJf $B/jre.txz -C /tmp/d4j
J="/tmp/d4j/jre3/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g -XX:+ExplicitGCInvokesConcurrent"
export DIFFUSION4J_CACHE=/tmp/d4j/cache PYTHONUNBUFFERED=1
el() { echo "## $(( $(date +%s) - T0 )) s: $*"; }
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
if [ -z "${SKIP_GRAPH_TESTS:-}" ]; then   # SKIP_GRAPH_TESTS=1 where PART has tests, which run CudaGraphTest too
  el graph tests
  CLASSES=${TESTS:-engine.cuda.CudaGraphTest train.TrainingGraphGpuTest engine.cuda.CudaAttentionTest engine.cuda.CudaFusedBiasTest engine.cuda.CudaLayerNormModulateTest engine.cuda.CudaGatedResidualTest engine.cuda.CudaIndexAddTest models.DiTCudaParityTest}
  timeout 300 $J ${TEST_OPTS:-} -jar $B/junit.jar execute --disable-banner --details=tree -cp $B/diffusion4j.jar:$B/tc \
    $(for c in $CLASSES; do echo "--select-class dev.diffusion4j.$c"; done) > $OUT/graph-tests.log 2>&1
  echo "graph tests rc=$?"; grep -E "✘|tests (successful|failed)" $OUT/graph-tests.log | head -20; grep -E "^linear|^gated residual" $OUT/graph-tests.log
  grep -A12 "✘" $OUT/graph-tests.log | head -60
fi
AB="diffusion4j diffusion4j@-Ddiffusion4j.cuda.graphs=false"
TRAIN_AB="diffusion4j diffusion4j@-Ddiffusion4j.cuda.trainingGraphs=false"   # training-step graphs are on by default
for part in ${PART:-unet}; do
case "$part" in
  unet)
    for cfg in fmnist-small:fmnist cifar:cifar; do
      preset=${cfg%%:*}; [ $preset = cifar ] && preset=ddpm-cifar10
      el $preset
      RUNS="$AB" CFGS="$preset:128" bash $B/gpu-ab.sh
      python3 $B/bench/ddpm_unet.py --cfg ${cfg##*:} --batch 128 --modes bf16-compile --steps 30 2>/dev/null | grep '^{' | sed "s/^/r1 torch /"
    done ;;
  dit)   # this jar as is; with the single-buffered attention kernels; with ln_mod_fwd instead of ln_mod_fwd_vec
    el dit-s/2
    RUNS="diffusion4j diffusion4j@-Ddiffusion4j.cuda.attentionPipeline=false diffusion4j@-Ddiffusion4j.cuda.lnModVector=false" \
      CFGS="dit-s/2:256" bash $B/gpu-ab.sh
    python3 $B/bench/dit.py --cfg S/2 --batch 256 --modes bf16-compile --steps 30 2>/dev/null | grep '^{' | sed "s/^/r1 torch /" ;;
  sample)   # diffuse sample as a user runs it: a short run on the built-in shapes, then 256 images, graphs on and off
    el sample
    D="$J -cp $B/diffusion4j.jar dev.diffusion4j.cli.Main"
    $D train --out /tmp/shapes --steps 50 --device cuda 2>&1 | grep -v WARNING | tail -2
    for flag in "" --no-cuda-graphs; do
      s0=$(date +%s%N)
      $D sample --run /tmp/shapes --count 256 --batch-size 256 --steps 200 --precision bf16 --device cuda $flag 2>&1 | grep -v WARNING | grep -v "^sample \[" | tail -3
      echo "sample ${flag:-(graphs)}: $(( ($(date +%s%N) - s0) / 1000000 )) ms wall, JVM start and model load included"
    done ;;
  ditab)   # the pipelined backward attention kernels (on by default since the twelfth session) against the single-buffered
    el dit-s/2 attention backward A/B
    RUNS="diffusion4j diffusion4j@-Ddiffusion4j.cuda.attentionBackwardPipeline=false" CFGS="dit-s/2:256" ROUNDS=${ROUNDS:-1} bash $B/gpu-ab.sh ;;
  train)   # training steps graphed or not, beside torch.compile for the U-Nets
    for cfg in ${UNETS:-fmnist-small:fmnist cifar:cifar}; do
      preset=${cfg%%:*}; [ $preset = cifar ] && preset=ddpm-cifar10
      el $preset
      RUNS="$TRAIN_AB" CFGS="$preset:128" bash $B/gpu-ab.sh
      [ "${TORCH:-1}" = 1 ] && timeout 150 python3 $B/bench/ddpm_unet.py --cfg ${cfg##*:} --batch 128 --modes bf16-compile --steps 30 2>/dev/null | grep '^{' | sed "s/^/r1 torch /"
    done
    [ "${DIT:-1}" = 1 ] && el dit-s/2 && RUNS="$TRAIN_AB" CFGS="dit-s/2:256" bash $B/gpu-ab.sh ;;
  ditbase)   # DiT-S/2 b256: the jar in bis/base.jar against this one (DIT_TORCH=1 adds torch.compile)
    el dit-s/2 base
    RUNS="${DIT_RUNS:-bis/base diffusion4j diffusion4j@-Ddiffusion4j.cuda.biasGradientEpilogue=false}" CFGS="dit-s/2:256" bash $B/gpu-ab.sh
    [ "${DIT_TORCH:-0}" = 1 ] && timeout 150 python3 $B/bench/dit.py --cfg S/2 --batch 256 --modes bf16-compile --steps 30 2>/dev/null | grep '^{' | sed "s/^/r1 torch /" ;;
  cudnn)   # attention through cuDNN's flash engines against the attention_mma kernels
    el dit-s/2 cudnn attention
    RUNS="diffusion4j@-Ddiffusion4j.cudnn.log=true diffusion4j@-Ddiffusion4j.cuda.cudnnAttention=false" CFGS="dit-s/2:256" ROUNDS=${ROUNDS:-1} bash $B/gpu-ab.sh
    timeout 150 python3 $B/bench/dit.py --cfg S/2 --batch 256 --modes bf16-compile --steps 30 2>/dev/null | grep '^{' | sed "s/^/r1 torch /" ;;
  dgelu)   # GELU's gradient in the product's epilogue against the composed ops
    el dit dgelu epilogue
    RUNS="diffusion4j@-Ddiffusion4j.cuda.geluGradientEpilogue=true diffusion4j" CFGS="dit-s/2:256 dit-b/2:256" ROUNDS=${ROUNDS:-1} bash $B/gpu-ab.sh ;;
  casts)   # the step's parameters cast in multi-tensor launches against one by one
    el parameter casts
    RUNS="diffusion4j diffusion4j@-Ddiffusion4j.autocast.castParameters=false" CFGS="${CAST_CFGS:-fmnist-small:128 ddpm-cifar10:128 dit-s/2:256}" \
      ROUNDS=${ROUNDS:-1} bash $B/gpu-ab.sh ;;
  tests)
    el all tests
    bash $B/gpu-run.sh tests 2>&1 | grep -v "^GPU" ;;
esac
done
el done
