#!/bin/bash
# The tensor-core attention kernels (attention_mma.cu) checked without a GPU: each warp-level piece (mma.sync's
# fragment layouts, shuffles, barriers) is emulated on CPU threads by emu_shim.h, and the kernels' results are
# compared with a double-precision reference (harness.cpp) for head dims 8, 40, 64, 72 and 128, bf16 and TF32.
# Needs g++ with C++20 and python3; about a minute. From anywhere: bash scripts/mma-emulator/run.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
K=$HERE/../../src/main/resources/dev/diffusion4j/engine/cuda/kernels/
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 "$HERE/prep.py" "$K" "$W/kern.inc"
cp "$HERE/emu_shim.h" "$HERE/harness.cpp" "$W/"
rc=0
for cfg in "16 8" "48 40" "64 64" "80 72" "128 128"; do
  set -- $cfg
  g++ -std=c++20 -O1 -pthread -DDP=$1 -DDEF_D=$2 "$W/harness.cpp" -o "$W/h$1"
  "$W/h$1" || rc=1
done
[ $rc = 0 ] && echo "mma emulator: all within bounds" || echo "mma emulator: FAILED"
exit $rc
