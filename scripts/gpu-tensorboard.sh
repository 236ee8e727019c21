#!/bin/bash
# Checks diffuse's TensorBoard event files with TensorBoard itself, on the lent GPU machine (which has the tensorboard
# python package), from the repository root with the bundle in .device/gpu (built by scripts/gpu-bundle.sh).
# Trains a short class-conditional run on the built-in shapes with --tensorboard, resumes it for more steps, scores it
# with diffuse eval (conditional and --unconditional), then reads RUN/tensorboard with EventAccumulator
# (scripts/check_tensorboard.py). Output in $OUT/tensorboard.txt; the event files in $OUT/tensorboard/. About a minute.
set -uo pipefail
B=.device/gpu
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/d4j
[ -x /tmp/d4j/jre3/bin/java ] || tar xJf $B/jre.txz -C /tmp/d4j
J="/tmp/d4j/jre3/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g"
D="$J -cp $B/diffusion4j.jar dev.diffusion4j.cli.Main"
RUN=/tmp/d4j/tb-run
rm -rf "$RUN"
DEVICE=${DEVICE:-cuda}
{
  $D train --out $RUN --data shapes --steps 200 --sample-every 100 --checkpoint-every 100 --device $DEVICE --tensorboard --lr-schedule constant 2>&1 | tail -4
  $D train --out $RUN --resume --steps 300 --device $DEVICE 2>&1 | tail -3
  $D eval --run $RUN --count 64 --device $DEVICE 2>&1 | grep -v '^eval \['
  $D eval --run $RUN --count 64 --device $DEVICE --unconditional 2>&1 | grep -v '^eval \['
  python3 -c "import tensorboard; print('tensorboard', tensorboard.__version__)"
  python3 scripts/check_tensorboard.py $RUN; echo "check_tensorboard rc=$?"
} 2>&1 | tee "$OUT/tensorboard.txt"
cp -r $RUN/tensorboard "$OUT/"
cp $RUN/eval.jsonl $RUN/report.html "$OUT/" 2>/dev/null
