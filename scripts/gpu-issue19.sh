#!/bin/bash
# Issue 19's U-Net side by side on the lent GPU machine, from the repository root with the bundle in .device/gpu
# (scripts/gpu-bundle.sh; an older jar to compare with in .device/gpu/bis/call4.jar, optional): the GPU tests (stops when
# any fails); an A/B on ddpm-cifar10 b128 bf16 of the older jar, this one, and this one with the one-kernel group norm;
# then diffuse bench train beside ../shared/bench/ddpm_unet.py (tf32, bf16, bf16 + torch.compile), a second round for bf16
# and bf16 + torch.compile. About 290 s on an H100 (BENCHMARKS.md, "The U-Net against torch.compile").
B=.device/gpu; OUT=${OUT:-/tmp/out}; mkdir -p $OUT /tmp/d4j; T0=$(date +%s)
[ -x /tmp/d4j/jre3/bin/java ] || tar xJf $B/jre.txz -C /tmp/d4j
J="/tmp/d4j/jre3/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g -XX:+ExplicitGCInvokesConcurrent"
export DIFFUSION4J_CACHE=/tmp/d4j/cache PYTHONUNBUFFERED=1
el() { echo "## $(( $(date +%s) - T0 )) s: $*"; }
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
el tests
bash $B/gpu-run.sh tests 2>&1 | grep -v "^GPU" | tee $OUT/tests-summary.txt
grep -qE "\[ +0 tests failed" $OUT/tests-summary.txt || { el "tests failed: stop"; exit 1; }
b() { $J $1 -cp $B/$2.jar dev.diffusion4j.cli.Main bench train --preset ddpm-cifar10 --batch 128 --precision $3 --steps 30 --warmup 10 \
      --sample-batch 256 --sample-iters 20 --device cuda 2>&1 | grep -E '^\{' | sed 's/"fwd_gflop_per_img[^}]*"train_mfu_bf16_peak/"train_mfu_bf16_peak/' | sed "s|^|$4 |"; }
t() { python3 $B/bench/ddpm_unet.py --cfg cifar --batch 128 --modes $1 --steps 30 2>/dev/null | grep '^{' | sed "s/^/$2 torch /"; }
el ab
[ -f $B/bis/call4.jar ] && b "" bis/call4 bf16 "ab call4"
b "" diffusion4j bf16 "r1 java"
b "-Ddiffusion4j.cuda.groupNormSplit=false" diffusion4j bf16 "ab gn-one-kernel"
el round1
b "" diffusion4j tf32 "r1 java"; t tf32 r1; t bf16 r1; t bf16-compile r1
el round2
b "" diffusion4j bf16 "r2 java"; t bf16 r2; t bf16-compile r2
el done
