#!/bin/bash
# CUDA kernels checked without a GPU: each warp-level piece (mma.sync's fragment layouts, shuffles, barriers) is
# emulated on CPU threads by emu_shim.h, and the kernels' results are compared with a double-precision reference:
#   harness.cpp       the tensor-core attention (attention_mma.cu), head dims 8, 40, 44, 64, 72 and 128, bf16 and TF32,
#                     the bf16 kernels pipelined and not, forward blocks of 64 and 128 query rows
#   norm_harness.cpp  the adaLN-modulated layer norm (norm.cu's ln_mod_*), f32 and bf16 outputs, warp and block rows
#   gn_harness.cpp    the split group norm (norm.cu's gn_stats, gn_apply, gn_bwd_planes/rows/apply) and its
#                     channels-last kernels (*_cl), with and without SiLU
#   gated_harness.cpp DiT's one-pass gated residual (binary.cu's gated_add) and its backward (gated_add_bwd,
#                     gated_bwd_sum), their type combinations, vectorised or not
#   random_harness.cpp random.cu's Philox draws: the known answer, offsets given directly or through a graph's slot
#   index_harness.cpp index.cu's index_add_ordered (a class embedding's gradient in index order), bit for bit
#   reduce_harness.cpp reduce.cu's column reductions over 16-byte vectors (col_reduce_vec, col_part_vec), sum and max
# Needs g++ with C++20 and python3; about three minutes on two cores. From anywhere: bash scripts/cuda-emulator/run.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
K=$HERE/../../src/main/resources/dev/diffusion4j/engine/cuda/kernels/
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 "$HERE/prep.py" "$K" "$W/kern.inc"
cp "$HERE/emu_shim.h" "$HERE/harness.cpp" "$W/"
mkdir -p "$W/norm" && python3 "$HERE/prep.py" "$K" "$W/norm/kern.inc" norm && cp "$HERE/emu_shim.h" "$HERE/harness_values.h" "$HERE/norm_harness.cpp" "$HERE/gn_harness.cpp" "$W/norm/"
mkdir -p "$W/binary" && python3 "$HERE/prep.py" "$K" "$W/binary/kern.inc" binary && cp "$HERE/emu_shim.h" "$HERE/harness_values.h" "$HERE/gated_harness.cpp" "$W/binary/"
mkdir -p "$W/random" && python3 "$HERE/prep.py" "$K" "$W/random/kern.inc" random && cp "$HERE/emu_shim.h" "$HERE/random_harness.cpp" "$W/random/"
mkdir -p "$W/index" && python3 "$HERE/prep.py" "$K" "$W/index/kern.inc" index && cp "$HERE/emu_shim.h" "$HERE/harness_values.h" "$HERE/index_harness.cpp" "$W/index/"
for op in SUM MAX; do
  mkdir -p "$W/reduce$op" && python3 "$HERE/prep.py" "$K" "$W/reduce$op/kern.inc" reduce
  cp "$HERE/emu_shim.h" "$HERE/harness_values.h" "$HERE/reduce_harness.cpp" "$W/reduce$op/"
done
rc=0
for op in SUM MAX; do
  g++ -std=c++20 -O1 -pthread -DOP_$op "$W/reduce$op/reduce_harness.cpp" -o "$W/reduce$op/x"
  "$W/reduce$op/x" || rc=1
done
g++ -std=c++20 -O1 -pthread "$W/index/index_harness.cpp" -o "$W/index/x"
"$W/index/x" || rc=1
g++ -std=c++20 -O1 -pthread "$W/random/random_harness.cpp" -o "$W/random/r"
"$W/random/r" || rc=1
g++ -std=c++20 -O1 -pthread "$W/binary/gated_harness.cpp" -o "$W/binary/g"
"$W/binary/g" || rc=1
g++ -std=c++20 -O1 -pthread "$W/norm/norm_harness.cpp" -o "$W/norm/n"
"$W/norm/n" || rc=1
g++ -std=c++20 -O1 -pthread "$W/norm/gn_harness.cpp" -o "$W/norm/g"
"$W/norm/g" || rc=1
# head dims padded to DP; 44 and 100 take the bf16 kernels' single-buffered path (rows not in 16-byte chunks; at 100 its
# dK/dV tiles need more shared memory than the pipelined ones), as does PIPE=0;
# the third field sets both PIPE (the forward) and PIPE_BWD (the backward kernels), the fourth the forward's rows per
# block (FWD_ROWS: 128 gives each warp 32 rows in the pipelined forward, and the other paths two 64-row tiles a block)
for cfg in "16 8 1 64" "48 40 1 128" "48 44 1 128" "64 64 1 128" "64 64 1 64" "64 64 0 64" "80 72 1 128" "112 100 1 64" "128 128 1 64"; do
  set -- $cfg
  g++ -std=c++20 -O1 -pthread -DDP=$1 -DDEF_D=$2 -DPIPE=$3 -DPIPE_BWD=$3 -DFWD_ROWS=$4 "$W/harness.cpp" -o "$W/h$1"
  echo "DP $1 D $2 PIPE $3 FWD_ROWS $4"; "$W/h$1" || rc=1
done
[ $rc = 0 ] && echo "cuda emulator: all within bounds" || echo "cuda emulator: FAILED"
exit $rc
