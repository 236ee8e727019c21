#!/bin/bash
# The attention kernels on the lent GPU machine, from the repository root with the bundle in .device/gpu
# (scripts/gpu-bundle.sh). Results go to $OUT.
#   scripts/gpu-attention.sh tests   CudaAttentionTest (tensor-core, f32-arithmetic and composed paths against the CPU in
#                                    f64), CudaLayerNormModulateTest and DiTCudaParityTest (EXTRA_TESTS: more --select-class ...);
#                                    the attention errors in $OUT/attention.txt
#   scripts/gpu-attention.sh bench   CudaAttentionBench at SHAPES (default DiT-S/2 at batch 256 and XL/2 at batch 32)
source "$(dirname "$0")/gpu-env.sh"
case "${1:-tests}" in
  tests)
    timeout ${T_TESTS:-240} $J -jar $B/junit.jar execute --disable-banner --details=tree -cp $CP \
      --select-class dev.diffusion4j.engine.cuda.CudaAttentionTest --select-class dev.diffusion4j.models.DiTCudaParityTest --select-class dev.diffusion4j.engine.cuda.CudaLayerNormModulateTest ${EXTRA_TESTS:-} \
      > "$OUT/attention-tests.log" 2>&1
    echo "tests rc=$?"; grep -E "✘" -A3 "$OUT/attention-tests.log" | head -40; grep -E "tests (successful|failed)" "$OUT/attention-tests.log"
    grep -h "layerNormModulate autocast" "$OUT/attention-tests.log"; cat "$OUT/attention.txt" 2>/dev/null
    ;;
  bench)
    timeout ${T_BENCH:-150} $J -cp $CP dev.diffusion4j.engine.cuda.CudaAttentionBench ${SHAPES:-256 6 256 64 32 16 256 72} 2>&1 \
      | grep -v WARNING | tee "$OUT/attention-bench.txt"
    ;;
  *) echo "unknown mode '$1': use tests or bench" >&2; exit 2 ;;
esac
