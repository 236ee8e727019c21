#!/bin/bash
# Same-host before/after of `diffuse bench train` on the lent GPU machine, from the repository root with the bundle in
# .device/gpu (scripts/gpu-bundle.sh; older jars in .device/gpu/bis/*.jar). Each entry of RUNS is jar[@-Dprop=value]
# (jar: a path under .device/gpu without .jar), run for each CFGS entry preset:batch and each of PRECISIONS, ROUNDS times.
#   RUNS="bis/base diffusion4j diffusion4j@-Ddiffusion4j.channelsLast=false" CFGS="ddpm-cifar10:128" bash scripts/gpu-ab.sh
B=.device/gpu; OUT=${OUT:-/tmp/out}; mkdir -p $OUT /tmp/d4j
[ -x /tmp/d4j/jre3/bin/java ] || tar xJf $B/jre.txz -C /tmp/d4j
J="/tmp/d4j/jre3/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g -XX:+ExplicitGCInvokesConcurrent"
export DIFFUSION4J_CACHE=/tmp/d4j/cache
for round in $(seq 1 ${ROUNDS:-1}); do
  for cfg in ${CFGS:-ddpm-cifar10:128}; do
    for pr in ${PRECISIONS:-bf16}; do
      for run in ${RUNS:-diffusion4j}; do
        jar=${run%%@*}; prop=$([ "$jar" != "$run" ] && echo "${run#*@}" | tr '@' ' ')
        all=$($J $prop -cp $B/$jar.jar dev.diffusion4j.cli.Main bench train --preset ${cfg%%:*} --batch ${cfg##*:} --precision $pr \
            --steps 30 --warmup 10 --sample-batch 256 --sample-iters 20 --device cuda 2>&1)
        r=$(echo "$all" | grep -E '^\{'); echo "$all" | grep -E '^note:|Exception|^cuBLASLt:' | head -5
        echo "r$round $run ${cfg%%:*} b${cfg##*:} $pr train $(echo "$r" | grep -o '"train_img_per_s":[0-9.]*' | cut -d: -f2) sample $(echo "$r" | grep -o '"sample_img_nfe_per_s":[0-9.]*' | cut -d: -f2) graphs $(echo "$r" | grep -o '"train_cuda_graphs":[a-z]*' | cut -d: -f2)/$(echo "$r" | grep -o '"sample_cuda_graphs":[a-z]*' | cut -d: -f2)"
      done
    done
  done
done | tee -a $OUT/ab.txt
