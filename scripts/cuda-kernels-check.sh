#!/bin/bash
# Compiles every CUDA-backend kernel family, with every set of defines the Java side uses, with
# nvcc for sm_90 (no GPU needed): catches kernel errors before a device run. The sources are
# assembled as CudaKernels does (common.cuh in front of the family).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
K=$ROOT/src/main/resources/dev/diffusion4j/engine/cuda/kernels
J=$ROOT/src/main/java/dev/diffusion4j/engine
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ops() { sed -n '/^public enum/,/[;}]/p' "$J/$1" | tr -d ' \n' | sed 's/.*{//; s/[;}].*//' | tr ',' ' '; }
jobs=()
build() { # family, defines...
  local fam=$1; shift
  local name=$fam$(printf '_%s' "$@" | tr -c 'A-Za-z0-9_\n' '_')
  cat "$K/common.cuh" "$K/$fam.cu" > "$TMP/$name.cu"
  local defs=()
  for d in "$@"; do defs+=("-D$d"); done
  echo "nvcc -arch=sm_90 -std=c++17 -lineinfo ${defs[*]} -c $TMP/$name.cu -o $TMP/$name.o"
}
{
  for op in $(ops UnaryOp.java); do build unary "OP_$op"; done
  for op in $(ops BinaryOp.java); do build binary "OP_$op"; done
  for op in $(ops ReduceOp.java); do build reduce "OP_$op"; done
  for s in float double bf16 half16 i64 int; do for d in float double bf16 half16 i64 int; do build copy "SRC_T=$s" "DST_T=$d"; done; done
  for f in fill select random index resample norm softmax optim; do build $f; done
  # the tile configurations of AttentionTiles.ALL (keep in step)
  for t in "32 4 4 4 4" "64 4 4 2 4" "80 4 4 2 4" "128 4 2 2 2" "256 2 2 1 2"; do
    set -- $t; build attention "DP=$1" "FWD_RQ=$2" "FWD_RK=$3" "BWD_RQ=$4" "BWD_RK=$5"
  done
} > "$TMP/cmds"
echo "$(wc -l < "$TMP/cmds") compiles"
fail=0
xargs -P "${JOBS:-2}" -I{} bash -c '{} 2>&1 || echo "FAILED: {}"' < "$TMP/cmds" | tee "$TMP/log" | grep -E "error|FAILED|warning" || true
grep -q FAILED "$TMP/log" && { echo "kernel check FAILED"; exit 1; }
echo "all kernels compile"
