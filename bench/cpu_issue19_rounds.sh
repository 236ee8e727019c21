#!/usr/bin/env bash
# Issue 19's CPU bars, measured back to back: for each round, ours then PyTorch 1.13 CPU on fmnist-small b32 and on
# tiny b32 (the default batch), then sgemm beside NumPy/OpenBLAS (SkylakeX kernels, and OPENBLAS_CORETYPE unset so the
# core it picks is named on its first line). The load average is printed before each pair. Warm-up is by step count
# only (--warmup-seconds 0), as the PyTorch twins warm up.
#   bench/cpu_issue19_rounds.sh              2 rounds, the bench's usual 2 warm-up + 5 timed steps
#   ROUNDS=3 bench/cpu_issue19_rounds.sh
#   LONG=1 bench/cpu_issue19_rounds.sh       also fmnist-small with 6 warm-up + 15 timed steps (C2 and GC settled),
#                                            and tiny (both sides) with 20 warm-up + 30 timed steps and forwards
# Needs the jar (mvn -q -o package -DskipTests) and Debian's python with torch (see ../shared/bench/README.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="${SHARED_BENCH:-$root/../shared/bench}"
# Debian's numpy and torch take whatever libblas.so.3 points at; with only the reference BLAS there (about 6 GFLOP/s)
# every PyTorch and NumPy figure would be meaningless, so stop before any work.
if ! readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 | grep -q openblas; then
  echo "libblas.so.3 is not OpenBLAS ($(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)); install it first: apt-get install -y libopenblas0-pthread" >&2
  exit 1
fi
load() { echo "# $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"; }
for r in $(seq 1 "${ROUNDS:-2}"); do
  echo "## round $r"
  load; bin/diffuse bench train --preset fmnist-small --batch 32 --steps 5 --warmup 2 --warmup-seconds 0 --sample-batch 32 --sample-iters 5 --device cpu
  (cd "$shared" && /usr/bin/python3 cpu_step.py fmnist 32)
  if [[ -n "${LONG:-}" ]]; then
    load; bin/diffuse bench train --preset fmnist-small --batch 32 --steps 15 --warmup 6 --warmup-seconds 0 --sample-batch 32 --sample-iters 5 --device cpu
  fi
  load; bin/diffuse bench train --preset tiny --batch 32 --steps 5 --warmup 2 --warmup-seconds 0 --sample-batch 32 --sample-iters 5 --device cpu
  /usr/bin/python3 bench/cpu_step_tiny.py 32
  if [[ -n "${LONG:-}" ]]; then
    load; bin/diffuse bench train --preset tiny --batch 32 --steps 30 --warmup 20 --warmup-seconds 0 --sample-batch 32 --sample-iters 30 --device cpu
    /usr/bin/python3 bench/cpu_step_tiny.py 32 20 30
  fi
  load; bin/diffuse bench gemm
  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/numpy_sgemm.py
  /usr/bin/python3 bench/numpy_sgemm.py
done
load
