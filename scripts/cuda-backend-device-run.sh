#!/bin/bash
# Runs on the GPU machine from the checkout root (bundle made by cuda-backend-bundle.sh): the CUDA
# package's tests (foundation, NVRTC check of every kernel module, CPU-vs-CUDA parity, memory) and
# a short timing of backend ops. Full logs under $OUT; a compact summary is printed last.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/d4j-out}; mkdir -p "$OUT"
JRE=${JRE_TGZ:-$D/../cuda/jre.tgz}
mkdir -p /tmp/d4j && tar xzf "$JRE" -C /tmp/d4j
J="/tmp/d4j/jre/bin/java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector"
export DIFFUSION4J_CACHE=/tmp/d4jcache OUT
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$OUT/env.txt" 2>&1
SEL=${SELECT:---select-package dev.diffusion4j.engine.cuda}
timeout ${TEST_TIMEOUT:-420} $J -Xmx12g -jar "$D/junit.jar" execute --disable-banner --details=tree \
   -cp "$D/diffusion4j.jar:$D/test-classes" $SEL > "$OUT/tests.log" 2>&1; rc1=$?
timeout ${BENCH_TIMEOUT:-120} $J -Xmx8g -Ddiffusion4j.cuda.softGcBytes=1000000000000 -cp "$D/diffusion4j.jar:$D/test-classes" dev.diffusion4j.engine.cuda.CudaBackendBench > "$OUT/bench.log" 2>&1; rc2=$?
for f in "" "-XX:+ExplicitGCInvokesConcurrent" "-XX:+UseParallelGC"; do
  timeout 60 $J -Xmx8g $f -cp "$D/diffusion4j.jar:$D/test-classes" dev.diffusion4j.engine.cuda.CudaBackendBench --gc-only >> "$OUT/bench.log" 2>&1
done
echo "==== $(cat "$OUT/env.txt")"
grep -E "✘" "$OUT/tests.log" | head -40
grep -E "^\s+(org.opentest4j|java\.|dev\.diffusion4j).*(Error|Exception)" "$OUT/tests.log" | cut -c1-400 | head -30
grep -E "tests (successful|failed|skipped|aborted)" "$OUT/tests.log"
echo "tests rc=$rc1 bench rc=$rc2"
[ -f "$OUT/parity.txt" ] && cat "$OUT/parity.txt"
cat "$OUT/bench.log" | tail -30
