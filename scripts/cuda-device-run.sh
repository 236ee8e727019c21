#!/bin/bash
# Runs on the GPU machine from the checkout root: CudaProbe (NVRTC compile), CudaProbe --quick
# (disk-cache hit) and the dev.diffusion4j.engine.cuda tests; full logs under $OUT, summary last.
D=$(dirname "$0")
OUT=${OUT:-/tmp/d4j-out}; mkdir -p "$OUT"
mkdir -p /tmp/d4j && tar xzf "$D/jre.tgz" -C /tmp/d4j
J="/tmp/d4j/jre/bin/java --enable-native-access=ALL-UNNAMED"
export DIFFUSION4J_CACHE=${DIFFUSION4J_CACHE:-/tmp/d4jcache}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/env.txt" 2>&1
$J -Xmx6g -cp "$D/diffusion4j.jar" dev.diffusion4j.engine.cuda.CudaProbe > "$OUT/probe.log" 2>&1; rc1=$?
$J -Xmx6g -cp "$D/diffusion4j.jar" dev.diffusion4j.engine.cuda.CudaProbe --quick > "$OUT/probe-again.log" 2>&1; rc2=$?
$J -Xmx4g -jar "$D/junit.jar" execute --disable-banner --details=tree -cp "$D/diffusion4j.jar:$D/test-classes" \
   --select-package dev.diffusion4j.engine.cuda > "$OUT/tests.log" 2>&1; rc3=$?
grep -E "^loaded" "$OUT/probe.log"
grep -E "kernel load" "$OUT/probe-again.log"
grep -E "tests (successful|failed|skipped)|✘" "$OUT/tests.log"
echo "probe rc=$rc1, probe again rc=$rc2, tests rc=$rc3"
sed -n '/==== CudaProbe summary/,$p' "$OUT/probe.log"
